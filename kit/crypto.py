"""Personal data at rest: AES-GCM with the key id inside the ciphertext (keys rotate) and an
HMAC-SHA256 blind index for dedupe and lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contracts.common import EncryptedPhone
from kit import phones

if TYPE_CHECKING:
    from kit.settings import Settings

VERSION = "v1"


def parse_keyring(spec: str) -> dict[str, bytes]:
    """'kid:base64key[,kid:base64key]' → {kid: key}; the first is the active key."""
    ring: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        kid, _, b64 = part.partition(":")
        if not kid or not b64 or "." in kid:
            raise ValueError("KEYUAN_DATA_KEY must look like 'kid:base64key[,kid:base64key]'")
        key = base64.b64decode(b64)
        if len(key) not in (16, 24, 32):
            raise ValueError(f"KEYUAN_DATA_KEY key {kid!r} must be 16, 24 or 32 bytes")
        ring[kid] = key
    if not ring:
        raise ValueError("KEYUAN_DATA_KEY is empty")
    return ring


@dataclass(frozen=True)
class Vault:
    keys: dict[str, bytes]
    index_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return cls(parse_keyring(settings.data_key), settings.index_key.encode())

    @property
    def active_kid(self) -> str:
        return next(iter(self.keys))

    def encrypt(self, plaintext: str, context: str = "") -> str:
        kid = self.active_kid
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[kid]).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}.{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str = "") -> str:
        version, kid, b64 = token.split(".", 2)
        if version != VERSION or kid not in self.keys:
            raise ValueError("unknown ciphertext version or key id")
        raw = base64.urlsafe_b64decode(b64)
        return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], context.encode()).decode()

    def blind_index(self, value: str, purpose: str = "phone") -> str:
        return hmac.new(self.index_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def seal_phone(self, e164: str) -> EncryptedPhone:
        return EncryptedPhone(enc=self.encrypt(e164, "phone"), index=self.blind_index(e164),
                              masked=phones.mask(e164))

    def open_phone(self, sealed: str) -> str:
        return self.decrypt(sealed, "phone")
