"""Signed one-click opt-out links (PIPL Art. 24). Pure: no I/O.

A link names the customer and the campaign that carried it, and is signed with an HMAC-SHA256
whose key is derived from the service secret for this purpose alone (so the link can never
stand for an actor token, nor the other way round). No expiry: an opt-out must keep working
for as long as the message that carried it exists.

    token = base64url(customer id 16 bytes + campaign id 16 bytes) "." base64url(mac[:12])
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

from contracts.errors import NotFound

PATH = "/api/marketing/opt-out/"
_PURPOSE = b"keyuan:marketing-opt-out:v1"
_MAC_BYTES = 12
NO_CAMPAIGN = uuid.UUID(int=0)


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, customer_id: uuid.UUID, campaign_id: uuid.UUID | None = None) -> str:
    body = customer_id.bytes + (campaign_id or NO_CAMPAIGN).bytes
    mac = hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(body)}.{_b64(mac)}"


def verify(secret: str, token: object) -> tuple[uuid.UUID, uuid.UUID | None]:
    """(customer id, campaign id or None) of a genuine link; NotFound for anything else, the
    same answer for a forged, truncated or garbled one."""
    refused = NotFound("this opt-out link is not valid", "token")
    if not isinstance(token, str) or len(token) > 100 or token.count(".") != 1:
        raise refused
    body_text, mac_text = token.split(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (binascii.Error, ValueError):
        raise refused from None
    expected = hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(body) != 32 or not hmac.compare_digest(mac, expected):
        raise refused
    campaign = uuid.UUID(bytes=body[16:])
    return uuid.UUID(bytes=body[:16]), None if campaign == NO_CAMPAIGN else campaign


def path(token: str) -> str:
    """Where the link points on the gateway; the sender puts its public address before it."""
    return PATH + token
