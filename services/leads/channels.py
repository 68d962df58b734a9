"""Channel webhooks without I/O: the signature check and the payload mapping.

A platform signs every delivery with its channel's secret:

    X-Keyuan-Timestamp: <unix seconds>
    X-Keyuan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>

and the channel's `Mapping` (configuration, not code per platform) turns its JSON into the
fields of a NewLead."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from contracts.errors import Unauthenticated, ValidationFailed
from contracts.leads import Channel, NewLead

KEY_HEADER = "X-Keyuan-Key"
TIMESTAMP_HEADER = "X-Keyuan-Timestamp"
SIGNATURE_HEADER = "X-Keyuan-Signature"
TOLERANCE_SECONDS = 300
SIGNATURE_PREFIX = "sha256="

PRESETS_PATH = Path(__file__).with_name("channel_mappings.yaml")
CHANNEL_CODES = tuple(c.value for c in Channel)

# ---------------------------------------------------------------------------- signatures


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over `timestamp + "." + body` (send it as `sha256=<hex>`)."""
    return hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def _refused(message: str, field: str, reason: str) -> Unauthenticated:
    """Unauthenticated carrying why (for the refusal metric); only message and field cross
    the bus."""
    exc = Unauthenticated(message, field)
    exc.reason = reason  # type: ignore[attr-defined]
    return exc


def refusal_reason(exc: Unauthenticated) -> str:
    """`bad_signature` or `replay` for an error raised by verify()."""
    return getattr(exc, "reason", "bad_signature")


_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def verify(secret: bytes, timestamp_header: object, signature_header: object, body: bytes,
           now: datetime | float) -> None:
    """Refuse (Unauthenticated) a delivery that is not signed with `secret` or whose signed
    timestamp is more than TOLERANCE_SECONDS from `now` either way (a replay).

    The signature is checked before the time, so `replay` is only ever said of a request
    that really was signed with the secret."""
    if not isinstance(timestamp_header, str) or not _TIMESTAMP.fullmatch(timestamp_header):
        raise _refused("send the signing time as unix seconds", TIMESTAMP_HEADER,
                       "bad_signature")
    if not isinstance(signature_header, str) or not signature_header.startswith(
            SIGNATURE_PREFIX):
        raise _refused("send 'sha256=<hex HMAC-SHA256 of timestamp.body>'", SIGNATURE_HEADER,
                       "bad_signature")
    given = signature_header[len(SIGNATURE_PREFIX):]
    if not _HEX_DIGEST.fullmatch(given):
        raise _refused("the signature must be 64 hex digits after 'sha256='",
                       SIGNATURE_HEADER, "bad_signature")
    expected = sign(secret, timestamp_header, body)
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise _refused("the signature does not match", SIGNATURE_HEADER, "bad_signature")
    moment = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(moment - int(timestamp_header)) > TOLERANCE_SECONDS:
        raise _refused(f"the timestamp is more than {TOLERANCE_SECONDS} s from the server's "
                       "time (replayed, or a clock that is off)", TIMESTAMP_HEADER, "replay")


# ---------------------------------------------------------------------------- mapping

# NewLead fields a mapping may fill. project_id comes from `project`/`projects` or the
# channel's default project, never from a platform's own value; who referred or registered
# a customer (agent_id, referrer_customer_id) decides attribution (判客), which a
# platform's payload must not be able to claim.
NOT_MAPPABLE = ("project_id", "agent_id", "referrer_customer_id")
MAPPABLE = tuple(name for name in NewLead.model_fields if name not in NOT_MAPPABLE)
REQUIRED = ("name", "phone", "channel")
# Platforms send phones and the like as JSON numbers; NewLead wants text for these.
TEXT_FIELDS = ("name", "phone", "sub_source", "note", "city", "district", "layout")
ANY_VALUE = "*"  # in a value table: every value not listed

DottedPath = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                         pattern=r"^[^.\s]+(\.[^.\s]+)*$")]
Scalar = str | int | float | bool | None


def _probe(field: str, value: Any) -> str | None:
    """Why `value` would not do for NewLead.`field` (None when it would)."""
    sample = {"name": "x", "phone": "13800000000", "channel": "other",
              "project_id": "00000000-0000-0000-0000-000000000000", field: value}
    try:
        NewLead.model_validate(sample)
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"][:1] == (field,):
                return error["msg"]
    return None


def _known_fields(names, where: str) -> None:
    for name in names:
        if name not in MAPPABLE:
            raise ValueError(f"{name!r} is not a lead field a {where} may set "
                             f"(one of {', '.join(MAPPABLE)})")


class Mapping(BaseModel):
    """How one platform's JSON becomes a NewLead.

    fields:      our field → dotted path into the payload ("data.clue.telephone",
                 "contacts.0.phone"); a path with nothing (or null, or "") there is skipped,
                 which refuses the delivery for name and phone
    constants:   our field → a fixed value; for a field also in `fields`, the value used when
                 the payload has nothing at its path
    values:      our field → {platform value → our value}; "*" matches any other value, a
                 null target leaves the field out; values not listed pass through as sent
    external_id: path to the platform's own lead id (retries of one lead share it)
    project:     path to the platform's project code, looked up in `projects`
                 (code → our project id); without it, the channel's default project"""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, DottedPath]
    constants: dict[str, Scalar] = Field(default_factory=dict)
    values: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    external_id: DottedPath
    project: DottedPath | None = None
    projects: dict[str, UUID] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _fields_known(cls, value: dict) -> dict:
        _known_fields(value, "mapping")
        return value

    @field_validator("constants")
    @classmethod
    def _constants_valid(cls, value: dict) -> dict:
        _known_fields(value, "constant")
        for name, constant in value.items():
            problem = _probe(name, constant)
            if problem:
                raise ValueError(f"constant {name}={constant!r}: {problem}")
        return value

    @field_validator("values")
    @classmethod
    def _values_valid(cls, value: dict) -> dict:
        _known_fields(value, "value table")
        for name, table in value.items():
            for theirs, ours in table.items():
                problem = ours is not None and _probe(name, ours)
                if problem:
                    raise ValueError(f"{name}: {theirs!r} → {ours!r}: {problem}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Mapping:
        missing = [f for f in REQUIRED if f not in self.fields and f not in self.constants]
        if missing:
            raise ValueError(f"the mapping gives no {', '.join(missing)} "
                             "(add them to fields or constants)")
        stray = [f for f in self.values if f not in self.fields]
        if stray:
            raise ValueError(f"value tables for {', '.join(stray)}, which are not in fields")
        if self.projects and not self.project:
            raise ValueError("projects needs project: the path to the platform's project code")
        return self


def lookup(payload: Any, path: str) -> Any:
    """The value at a dotted path ("data.items.0.phone"); None when there is nothing."""
    current = payload
    for part in path.split("."):
        if isinstance(current, dict):
            if part not in current:
                return None
            current = current[part]
        elif isinstance(current, list) and part.isascii() and part.isdigit():
            index = int(part)
            if index >= len(current):
                return None
            current = current[index]
        else:
            return None
    return current


def _key(raw: Any) -> str:
    """A payload value as the text a value table or project table is keyed by."""
    return raw.strip() if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _scalar(raw: Any, path: str, field: str) -> Any:
    if isinstance(raw, dict | list):
        raise ValidationFailed(f"expected a single value at {path}, found "
                               f"{'an object' if isinstance(raw, dict) else 'a list'}", field)
    return raw


def apply(mapping: Mapping, payload: dict, default_project: UUID | None
          ) -> tuple[dict, str]:
    """The NewLead-shaped dict for one delivery, and the platform's own lead id.

    Refuses (ValidationFailed naming our field) a delivery without a name, phone, lead id
    or project. The dict is not yet validated as a NewLead."""
    lead: dict[str, Any] = {}
    for field, path in mapping.fields.items():
        raw = lookup(payload, path)
        if _blank(raw):
            continue
        value = _scalar(raw, path, field)
        table = mapping.values.get(field)
        if table is not None:
            key = _key(value)
            if key in table:
                value = table[key]
            elif ANY_VALUE in table:
                value = table[ANY_VALUE]
            if value is None:
                continue
        if field in TEXT_FIELDS and isinstance(value, int | float) and not isinstance(
                value, bool):
            value = str(value)
        lead[field] = value
    for field, constant in mapping.constants.items():
        lead.setdefault(field, constant)
    for field in REQUIRED:
        if field not in lead:
            raise ValidationFailed(f"the payload has no {field} at {mapping.fields[field]}",
                                   field)

    raw_id = lookup(payload, mapping.external_id)
    if _blank(raw_id):
        raise ValidationFailed(f"the payload has no lead id at {mapping.external_id}",
                               "external_id")
    external_id = _key(_scalar(raw_id, mapping.external_id, "external_id"))
    if len(external_id) > 100:
        raise ValidationFailed("the platform's lead id is longer than 100 characters",
                               "external_id")

    code = lookup(payload, mapping.project) if mapping.project else None
    if not _blank(code):
        key = _key(_scalar(code, mapping.project, "project_id"))
        if key not in mapping.projects:
            raise ValidationFailed(f"unknown project code {key!r} at {mapping.project}",
                                   "project_id")
        lead["project_id"] = str(mapping.projects[key])
    elif default_project is not None:
        lead["project_id"] = str(default_project)
    else:
        raise ValidationFailed("the payload names no project and the channel has no "
                               "default project", "project_id")
    return lead, external_id


# ---------------------------------------------------------------------------- configuration


class ChannelSpec(BaseModel):
    """What an admin sends to configure a channel; on update, only the fields sent change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Channel
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    default_project_id: UUID | None = None
    mapping: Mapping | None = None
    active: bool = True


class Preset(BaseModel):
    """A platform's default name and mapping (channel_mappings.yaml)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]
    mapping: Mapping


class PresetError(ValueError):
    pass


def load_presets(text: str, source: str = PRESETS_PATH.name) -> dict[str, Preset]:
    """Parse and check the default mappings; a bad file names the channel and the key."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PresetError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not document:
        raise PresetError(f"{source}: expected channel codes at the top level")
    presets: dict[str, Preset] = {}
    for code, entry in document.items():
        if code not in CHANNEL_CODES:
            raise PresetError(f"{source}: {code!r} is not a channel "
                              f"(one of {', '.join(CHANNEL_CODES)})")
        try:
            presets[code] = Preset.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in error["loc"]) or "(the entry itself)"
            raise PresetError(f"{source}: channel {code!r}, key {key!r}: {error['msg']}"
                              ) from None
    return presets
