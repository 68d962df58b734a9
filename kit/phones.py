"""Phone numbers: normalise to E.164 with `phonenumbers`, mask for display."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from contracts.errors import ValidationFailed

_DIALABLE = re.compile(r"[\s(]*\+?[0-9][0-9 \-().]*")


def normalise(raw: str, field: str = "phone", region: str = "CN") -> str:
    """E.164 form of a Chinese (or +-prefixed foreign) number, or ValidationFailed."""
    # NFKC turns full-width digits and '＋' (common from Chinese IMEs) into ASCII.
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise ValidationFailed("phone number is required", field)
    if not _DIALABLE.fullmatch(text):
        raise ValidationFailed("a phone number has only digits, spaces, '-', '(', ')' and a "
                               "leading '+'", field)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"not a phone number: {exc}", field) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("not a valid phone number", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """138****5678 for Chinese numbers; keep the country code for others."""
    if e164.startswith("+86"):
        national = e164[3:]
        return f"{national[:3]}****{national[-4:]}" if len(national) >= 8 else "****"
    if len(e164) <= 7:
        return "****"
    return f"{e164[:4]}****{e164[-4:]}"


def national(e164: str) -> str:
    """The form a Chinese consultant dials: 13812345678."""
    return e164[3:] if e164.startswith("+86") else e164
