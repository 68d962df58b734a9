"""Where uploaded files live. One small interface; local disk here, an object store (OSS,
S3, MinIO) behind the same three methods when services run on several machines."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

from contracts.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024

# What we accept, recognised by the file's first bytes, never by its name alone.
SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
    ("application/pdf", b"%PDF-", 0),
)


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class LocalDiskStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"[a-z0-9_-]+(/[a-z0-9_-]+)*", key) or len(key) > 200:
            raise ValueError(f"unsafe storage key {key!r}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key {key!r} leaves the storage root")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def sniff(data: bytes) -> str | None:
    for content_type, magic, offset in SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            return content_type
    return None


def check_upload(data: bytes, declared: str | None, field: str = "file") -> tuple[str, str]:
    """(content type, sha256) of an acceptable file, or ValidationFailed naming the field."""
    if not data:
        raise ValidationFailed("the file is empty", field)
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", field)
    actual = sniff(data)
    if actual is None:
        raise ValidationFailed("only JPEG, PNG, WebP images and PDF files are accepted", field)
    claimed = (declared or "").split(";")[0].strip().lower()
    if claimed and claimed not in (actual, "application/octet-stream"):
        raise ValidationFailed(f"the file is {actual}, not {declared}", field)
    return actual, hashlib.sha256(data).hexdigest()
