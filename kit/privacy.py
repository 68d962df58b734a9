"""Data-subject requests (PIPL Art. 45 access and copy, Art. 47 deletion) as every service
sees them: who may ask, what an erased value becomes, and the answer of a service that holds
nothing about a person. Pure, apart from the RPC of that last mixin."""

from __future__ import annotations

import re
import uuid
from typing import Any, overload

from contracts.actor import Actor, Role
from contracts.customers import PersonQuery
from contracts.errors import Forbidden, parse
from kit.service import Keys, Worker, rpc

# What a person's name becomes when they are erased; the row stays for the statistics.
ERASED_NAME = "已删除"
# Audit rows of a request about someone who is no customer (only registered, say).
NO_CUSTOMER = uuid.UUID(int=0)
# Whoever holds this scope handles data-subject requests without being an admin (a DPO).
PRIVACY_SCOPE = "privacy"


def may_handle_subject_requests(actor: Actor) -> bool:
    return actor.role == Role.admin or actor.has_scope(PRIVACY_SCOPE)


def subject_request_handler(keys: Keys, token: object) -> Actor:
    """The verified actor of a data-subject request, or Forbidden."""
    actor = keys.actor(token)
    if not may_handle_subject_requests(actor):
        raise Forbidden("data-subject requests are handled by an admin or the privacy scope")
    return actor


def person_query(query: object) -> PersonQuery:
    return parse(PersonQuery, query)


def erased_marker(row_id: object) -> str:
    """Takes the place of a blind index (NOT NULL, sometimes unique) once the phone is gone:
    derived from the row's own id, so nothing of the phone is left in it."""
    return f"erased:{row_id}"


def is_erased_marker(value: str | None) -> bool:
    return value is not None and value.startswith("erased:")


@overload
def redact(text: str, names: list[str] | tuple[str, ...]) -> str: ...
@overload
def redact(text: None, names: list[str] | tuple[str, ...]) -> None: ...
@overload
def redact(text: str | None, names: list[str] | tuple[str, ...]) -> str | None: ...
def redact(text: str | None, names: list[str] | tuple[str, ...]) -> str | None:
    """The text with each of the person's names replaced by ERASED_NAME (longest first, so
    '张三丰' is not left as '已删除丰')."""
    if not text:
        return text
    for name in sorted({n for n in names if n and n != ERASED_NAME}, key=len, reverse=True):
        text = text.replace(name, ERASED_NAME)
    return text


def redact_json(value: Any, names: list[str] | tuple[str, ...]) -> Any:
    """redact() over every string inside a JSON value (an event's payload)."""
    if isinstance(value, str):
        return redact(value, names)
    if isinstance(value, list):
        return [redact_json(v, names) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v, names) for k, v in value.items()}
    return value


_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
                     r"(?![0-9A-Za-z])")


def mentions_mobile(text: str | None) -> bool:
    """Does free text carry something that reads as a Chinese mobile number (any of the forms
    people write: 13800138000, +86 138 0013 8000, 138-0013-8000)?"""
    return text is not None and _MOBILE.search(text) is not None


class HoldsNoPersonalData(Worker):
    """Mixin of a service that keeps nothing about a customer: it still answers a
    data-subject export, saying so and why, so the export names every service."""

    personal_data_note: str = "nothing about a person is kept here"

    @rpc
    def person_data(self, token: str,
                    query: dict[str, Any] | None = None) -> dict[str, Any]:
        subject_request_handler(self.keys, token)
        person_query(query)
        return {"service": self.name, "holds_personal_data": False,
                "note": self.personal_data_note, "records": {}}
