"""Phone numbers: normalise to E.164 with `phonenumbers`, mask for display."""

from __future__ import annotations

import phonenumbers

from contracts.errors import ValidationFailed


def normalise(raw: str, field: str = "phone", region: str = "CN") -> str:
    """E.164 form of a Chinese (or +-prefixed foreign) number, or ValidationFailed."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed("phone number is required", field)
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
