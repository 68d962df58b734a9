"""A company's notification settings as stored: the channels with their secrets sealed by the
vault (the robots' URLs carry their keys, so they are secrets too), the SMS phones sealed as
every phone is, and the routes. Merging an update, the masked view, the routing notify()
needs and the opened secrets a delivery needs. No I/O."""

from __future__ import annotations

from urllib.parse import urlsplit

from contracts.errors import ValidationFailed
from contracts.tasks import NoticeChannel, NotificationConfig
from kit import phones
from kit.crypto import Vault
from services.tasks.notify.domain import Routing

SECRET = "notify-secret"
MASK = "****"


def masked_url(url: str) -> str:
    """Scheme and host only: the path and query of a robot's URL hold its key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/{MASK}"


def _check_scheme(url: str, field: str, https_only: bool) -> None:
    if https_only and not url.lower().startswith("https://"):
        raise ValidationFailed("must be an https URL", field)


def _seal_channel(name: str, spec, vault: Vault, https_only: bool) -> dict:
    _check_scheme(spec.url, f"channels.{name}.url", https_only)
    if name == NoticeChannel.wecom.value:
        return {"url_enc": vault.encrypt(spec.url, SECRET), "url_masked": masked_url(spec.url)}
    if name == NoticeChannel.dingtalk.value:
        return {"url_enc": vault.encrypt(spec.url, SECRET), "url_masked": masked_url(spec.url),
                "secret_enc": vault.encrypt(spec.secret, SECRET) if spec.secret else None}
    sealed_phones = {}
    for user_id, raw in spec.phones.items():
        e164 = phones.normalise(raw, f"channels.sms.phones.{user_id}")
        sealed = vault.seal_phone(e164)
        sealed_phones[str(user_id)] = {"enc": sealed.enc, "masked": sealed.masked}
    return {"url": spec.url, "api_key_enc": vault.encrypt(spec.api_key, SECRET),
            "sender": spec.sender,
            "templates": {kind.value: code for kind, code in spec.templates.items()},
            "phones": sealed_phones}


def merge(stored: dict, update: NotificationConfig, vault: Vault, *,
          https_only: bool = False) -> dict:
    """The stored settings after `update` (see NotificationChannels, NotificationConfig);
    a route naming a channel that is not configured is refused, naming the route."""
    channels = dict(stored.get("channels") or {})
    if update.channels is not None:
        for name in sorted(update.channels.model_fields_set):
            spec = getattr(update.channels, name)
            if spec is None:
                channels.pop(name, None)
            else:
                channels[name] = _seal_channel(name, spec, vault, https_only)
    if update.routes is None:
        routes = dict(stored.get("routes") or {})
    else:
        routes = {kind.value: list(dict.fromkeys(c.value for c in names))
                  for kind, names in update.routes.items()}
    for kind, names in routes.items():
        for name in names:
            if name != NoticeChannel.inbox.value and name not in channels:
                raise ValidationFailed(f"the {name} channel is not configured: configure it "
                                       "in channels first", f"routes.{kind}")
    return {"channels": channels, "routes": routes}


def view(stored: dict) -> dict:
    """The settings as an admin sees them: secrets masked, never returned."""
    channels = stored.get("channels") or {}
    shown: dict[str, dict] = {}
    if "wecom" in channels:
        shown["wecom"] = {"url": channels["wecom"]["url_masked"]}
    if "dingtalk" in channels:
        ding = channels["dingtalk"]
        shown["dingtalk"] = {"url": ding["url_masked"],
                             "secret": MASK if ding.get("secret_enc") else None}
    if "sms" in channels:
        sms = channels["sms"]
        shown["sms"] = {"url": sms["url"], "api_key": MASK, "sender": sms["sender"],
                        "templates": sms.get("templates", {}),
                        "phones": {uid: p["masked"] for uid, p in sms.get("phones", {}).items()}}
    return {"channels": shown, "routes": stored.get("routes") or {}}


def routing(stored: dict) -> Routing:
    channels = stored.get("channels") or {}
    return Routing(
        routes={kind: tuple(names) for kind, names in (stored.get("routes") or {}).items()},
        configured=frozenset(channels),
        sms_recipients=frozenset((channels.get("sms") or {}).get("phones", {})))


class NotConfigured(Exception):
    """The channel (or the recipient's phone) was removed after the delivery was queued."""


def opened(stored: dict, channel: str, vault: Vault, recipient_id: str | None = None) -> dict:
    """The channel's settings with its secrets in plain text, for one delivery."""
    spec = (stored.get("channels") or {}).get(channel)
    if spec is None:
        raise NotConfigured(f"the {channel} channel is no longer configured")
    if channel == NoticeChannel.wecom.value:
        return {"url": vault.decrypt(spec["url_enc"], SECRET)}
    if channel == NoticeChannel.dingtalk.value:
        secret = spec.get("secret_enc")
        return {"url": vault.decrypt(spec["url_enc"], SECRET),
                "secret": vault.decrypt(secret, SECRET) if secret else None}
    phone = spec.get("phones", {}).get(str(recipient_id))
    if phone is None:
        raise NotConfigured("no phone for the recipient in the SMS channel's phones")
    return _opened_sms(spec, vault) | {"phone": vault.open_phone(phone["enc"])}


def opened_sms(stored: dict, vault: Vault) -> dict:
    """The SMS channel's provider settings (url, api_key, sender, templates) in plain text,
    for messages to customers (whose phones come with the message, not from `phones`)."""
    spec = (stored.get("channels") or {}).get(NoticeChannel.sms.value)
    if spec is None:
        raise NotConfigured("the company has no sms channel configured")
    return _opened_sms(spec, vault)


def _opened_sms(spec: dict, vault: Vault) -> dict:
    return {"url": spec["url"], "api_key": vault.decrypt(spec["api_key_enc"], SECRET),
            "sender": spec["sender"], "templates": spec.get("templates", {})}
