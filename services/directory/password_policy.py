"""The password policy (密码规则), stated once:

- at least 10 characters (at most 256),
- at least one letter and one digit,
- not containing the username (whatever the case),
- not one of the common passwords shipped in `common_passwords.txt` (whatever the case).

Pure: `problem()` answers what is wrong with a password, or None."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")

STATEMENT = (f"at least {MIN_LENGTH} characters with letters and digits, not containing the "
             "username, not a common password")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def problem(password: str, username: str) -> str | None:
    """Why `password` may not be `username`'s password, in words for the user; None if it
    may."""
    if len(password) < MIN_LENGTH:
        return f"密码至少{MIN_LENGTH}位 at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        return "密码须包含字母和数字 letters and digits both"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名 must not contain the username"
    if password.lower() in common_passwords():
        return "密码过于常见 too common a password"
    return None
