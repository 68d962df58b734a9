"""Channel webhooks: an admin configures a platform's channel (its secret and payload
mapping); the platform posts signed leads that take the one intake path.

A mixin of LeadsService: the methods use its `db` session and `keys`."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts import leads as c
from contracts.actor import Actor, Role
from contracts.errors import (
    Conflict,
    NotFound,
    Unauthenticated,
    ValidationFailed,
    parse,
)
from kit import clock
from kit.crypto import Vault
from kit.service import Worker, rpc
from services.leads import channels, intake, store

SECRET_CONTEXT = "channel-secret"

REFUSED = Counter("keyuan_webhook_refused_total", "Channel webhook deliveries refused",
                  ["channel", "reason"])
ACCEPTED = Counter("keyuan_webhook_accepted_total",
                   "Channel webhook deliveries accepted (repeats included)", ["channel"])

# Read and checked once: a bad file stops the service at start, naming channel and key.
PRESETS = channels.load_presets(channels.PRESETS_PATH.read_text(encoding="utf-8"))


class ChannelWebhooks(Worker):
    @rpc
    def configure_channel(self, token: str, spec: dict) -> dict:
        """Create or update the company's channel of `spec.code`; a new one gets a secret,
        shown only in this answer."""
        actor = self.keys.actor(token, Role.admin)
        wanted = parse(channels.ChannelSpec, spec)
        _check_projects(self.db, actor, wanted)
        channel, secret = _create(self.db, self.keys.vault, actor, wanted)
        if secret is None:
            _update(channel, wanted)
        self.db.commit()
        return _view(channel, secret)

    @rpc
    def rotate_channel_secret(self, token: str, code: str) -> dict:
        """A new secret for the channel; the old one stops working at once."""
        actor = self.keys.actor(token, Role.admin)
        channel = _locked(self.db, actor.company_id, _code(code))
        if channel is None:
            raise NotFound("no such channel", "code")
        secret = _new_secret()
        channel.secret_enc = self.keys.vault.encrypt(secret, SECRET_CONTEXT)
        self.db.commit()
        return _view(channel, secret)

    @rpc
    def list_channels(self, token: str) -> dict:
        actor = self.keys.actor(token, Role.admin)
        rows = self.db.scalars(select(store.Channel).where(
            store.Channel.company_id == actor.company_id).order_by(store.Channel.code))
        return {"items": [_view(row) for row in rows]}

    @rpc
    def intake_webhook(self, code: str, key_id: str, timestamp: str, signature: str,
                       body_text: str) -> dict:
        """One signed delivery from a platform: verify, map, submit as the channel."""
        label = code if code in channels.CHANNEL_CODES else "unknown"
        channel = _active(self.db, code, key_id)
        if channel is None:
            REFUSED.labels(label, "unknown_key").inc()
            raise Unauthenticated("unknown channel key", channels.KEY_HEADER)
        body = body_text if isinstance(body_text, str) else ""
        secret = self.keys.vault.decrypt(channel.secret_enc, SECRET_CONTEXT).encode()
        try:
            channels.verify(secret, timestamp, signature, body.encode(), clock.now())
        except Unauthenticated as exc:
            REFUSED.labels(label, channels.refusal_reason(exc)).inc()
            raise
        try:
            new, external_id = _new_lead(channel, body)
            actor = Actor(role=Role.integration, user_id=channel.id,
                          company_id=channel.company_id, name=f"channel:{code}")
            answer = intake.submit(self.db, self.keys.vault, actor, new,
                                   idempotency_key=f"webhook:{channel.id}:{external_id}",
                                   source="webhook", external_id=external_id)
        except ValidationFailed:
            REFUSED.labels(label, "bad_payload").inc()
            raise
        except Conflict:
            # The platform sent its lead id again with different lead fields.
            REFUSED.labels(label, "conflict").inc()
            raise
        ACCEPTED.labels(label).inc()
        return answer


def _code(code: Any) -> str:
    if code not in channels.CHANNEL_CODES:
        raise ValidationFailed(f"not a channel (one of {', '.join(channels.CHANNEL_CODES)})",
                               "code")
    return code


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _new_lead(channel: store.Channel, body: str) -> tuple[c.NewLead, str]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", "body")
    mapping = channels.Mapping.model_validate(channel.mapping)
    fields, external_id = channels.apply(mapping, payload, channel.default_project_id)
    return parse(c.NewLead, fields), external_id


def _check_projects(session: Session, actor: Actor, spec: channels.ChannelSpec) -> None:
    wanted = [("default_project_id", spec.default_project_id)] if spec.default_project_id \
        else []
    if spec.mapping is not None:
        wanted += [(f"mapping.projects.{code}", project)
                   for code, project in spec.mapping.projects.items()]
    for field, project_id in wanted:
        project = store.project(session, project_id)
        if project is None or project.company_id != actor.company_id:
            raise ValidationFailed("unknown project", field)


def _active(session: Session, code: Any, key_id: Any) -> store.Channel | None:
    if code not in channels.CHANNEL_CODES or not isinstance(key_id, str):
        return None
    try:
        channel_id = uuid.UUID(key_id)
    except ValueError:
        return None
    return session.scalars(select(store.Channel).where(
        store.Channel.id == channel_id, store.Channel.code == code,
        store.Channel.active.is_(True))).first()


def _locked(session: Session, company_id: uuid.UUID, code: str) -> store.Channel | None:
    return session.scalars(select(store.Channel).where(
        store.Channel.company_id == company_id, store.Channel.code == code)
        .with_for_update()).first()


def _create(session: Session, vault: Vault, actor: Actor, spec: channels.ChannelSpec
            ) -> tuple[store.Channel, str | None]:
    """The company's channel of this code, created with a new secret (returned) if it did
    not exist; (existing channel, None) otherwise. A concurrent create is an update."""
    code = spec.code.value
    existing = _locked(session, actor.company_id, code)
    if existing is not None:
        return existing, None
    preset = PRESETS.get(code)
    mapping = spec.mapping or (preset.mapping if preset else None)
    if mapping is None:
        raise ValidationFailed(f"there is no default mapping for {code}: send one", "mapping")
    secret = _new_secret()
    created = session.execute(insert(store.Channel).values(
        id=uuid.uuid4(), company_id=actor.company_id, code=code,
        name=spec.name or (preset.name if preset else code),
        secret_enc=vault.encrypt(secret, SECRET_CONTEXT),
        default_project_id=spec.default_project_id, mapping=mapping.model_dump(mode="json"),
        active=spec.active, created_at=clock.now(),
    ).on_conflict_do_nothing().returning(store.Channel.id)).first()
    if created is None:
        return _locked(session, actor.company_id, code), None
    return session.get_one(store.Channel, created.id), secret


def _update(channel: store.Channel, spec: channels.ChannelSpec) -> None:
    sent = spec.model_fields_set
    if "name" in sent and spec.name:
        channel.name = spec.name
    if "default_project_id" in sent:
        channel.default_project_id = spec.default_project_id
    if "mapping" in sent and spec.mapping is not None:
        channel.mapping = spec.mapping.model_dump(mode="json")
    if "active" in sent:
        channel.active = spec.active


def _view(channel: store.Channel, secret: str | None = None) -> dict:
    view = {"key_id": str(channel.id), "code": channel.code, "name": channel.name,
            "active": channel.active,
            "default_project_id": str(channel.default_project_id)
            if channel.default_project_id else None,
            "mapping": channel.mapping, "created_at": channel.created_at.isoformat()}
    if secret is not None:
        view["secret"] = secret
    return view
