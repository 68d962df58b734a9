"""This installation's own secrets: made by `keyuan up` on its first run, reused afterwards.

The file (kit.settings.secrets_file(): KEYUAN_SECRETS_FILE, by default .keyuan/secrets.env
in the repository, git-ignored) is readable only by its owner; every Keyuan process reads it
through kit.settings.get_settings(), and a variable set in the environment wins over it."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

from kit import clock
from kit.settings import DEFAULT_SECRETS_FILE

# What the file holds, and how each value is made (the data key in the vault's format,
# kit.crypto.parse_keyring: key id, colon, 32 random bytes in base64).
MAKERS = {
    "KEYUAN_SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "KEYUAN_DATA_KEY": lambda: "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    "KEYUAN_INDEX_KEY": lambda: secrets.token_urlsafe(48),
}

HEADER = """\
# Keyuan's own secrets for this installation, made by `keyuan up` on {day}.
# Only its owner may read this file; keep it out of git and out of backups others can read.
# KEYUAN_DATA_KEY and KEYUAN_INDEX_KEY protect the stored phone numbers: lose them and the
# numbers cannot be read or found again. Never replace KEYUAN_INDEX_KEY without a re-index.
"""


def read(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def ensure(path: Path) -> str:
    """Make the file when there is none, or add what it lacks; returns what was done
    ("made", "completed" or "reused"). The file is 0600; its directory 0700 when made here
    (and the default .keyuan/ always: it is ours)."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if path.resolve() == DEFAULT_SECRETS_FILE.resolve():
        path.parent.chmod(0o700)
    if not path.exists():
        _write_new(path, HEADER.format(day=clock.now().date().isoformat())
                   + "".join(f"{name}={make()}\n" for name, make in MAKERS.items()))
        return "made"
    _owner_only(path)
    held = read(path)
    missing = [name for name in MAKERS if not held.get(name)]
    if not missing:
        return "reused"
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(f"{name}={MAKERS[name]()}\n" for name in missing))
    return "completed"


def _write_new(path: Path, text: str) -> None:
    # O_EXCL with the mode given at creation: never a moment in which others may read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _owner_only(path: Path) -> None:
    """An existing file that others may read is made the owner's alone again."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(0o600)
