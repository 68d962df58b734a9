"""Errors that cross the bus. A service raises them; Nameko serialises type and args; the
RPC client maps them back to these classes by their path, and the gateway to HTTP."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class KeyuanError(Exception):
    """Base of every error a client may see. args: (message, field, details)."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, field: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message, field, details)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(KeyuanError):
    code = "validation_failed"
    http_status = 422


class Unauthenticated(KeyuanError):
    code = "unauthenticated"
    http_status = 401


class Forbidden(KeyuanError):
    code = "forbidden"
    http_status = 403


class NotFound(KeyuanError):
    code = "not_found"
    http_status = 404


class Conflict(KeyuanError):
    code = "conflict"
    http_status = 409


class TooManyRequests(KeyuanError):
    code = "too_many_requests"
    http_status = 429


class ServiceUnavailable(KeyuanError):
    code = "service_unavailable"
    http_status = 503


BY_NAME: dict[str, type[KeyuanError]] = {
    cls.__name__: cls
    for cls in (KeyuanError, ValidationFailed, Unauthenticated, Forbidden, NotFound, Conflict,
                TooManyRequests, ServiceUnavailable)
}


def parse(model: type[M], data: object) -> M:
    """A contracts model from a caller's payload (None = empty), or ValidationFailed naming
    the field: the one way every entrypoint reads its input."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("send a JSON object", "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_pydantic(exc) from None


def parse_id(value: object, field: str) -> UUID:
    """An id from a caller (a path segment, a body field), or ValidationFailed naming the
    field: the one way every entrypoint reads an id."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed("not a valid id", field) from None


def from_pydantic(exc: ValidationError) -> ValidationFailed:
    """The first problem of a pydantic ValidationError, naming the field."""
    first = exc.errors()[0]
    # A bad key of a mapping is named by the key itself ("labels.won", not "...[key]").
    field = ".".join(str(part) for part in first.get("loc", ()) if part != "[key]") or None
    return ValidationFailed(f"{field}: {first['msg']}" if field else first['msg'], field)
