"""The privacy audit as an admin reads it, without I/O: the notes the writers append to a
reason (`[request <id>]`, `[export <id>: ...]`), the day filter, masked names, and the views
of one audit row and of one past data-subject request."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from contracts.errors import ValidationFailed
from kit import clock
from kit.privacy import ERASED_NAME, NO_CUSTOMER

# subject_request_entrypoints._audit and pii_entrypoints.export_customers write these.
_REQUEST_NOTE = re.compile(r"\s*\[request ([0-9a-f-]{36})\]$")
_EXPORT_NOTE = re.compile(r"\s*\[export ([0-9a-f-]{36})(?::[^\]]*)?\]$")
# The same pattern for PostgreSQL's substring(... from ...): the request id of a DSAR row.
REQUEST_ID_SQL = r"\[request ([0-9a-f-]{36})\]$"
DSAR_KINDS = {"dsar_export": "export", "dsar_erase": "erase"}


def masked_name(name: str) -> str:
    """A customer's name for someone who needs not know it: the family name only."""
    if name == ERASED_NAME:
        return name
    return name[:1] + "*" * max(len(name) - 1, 1)


@dataclass(frozen=True)
class Reason:
    text: str | None
    request_id: str | None = None
    export_id: str | None = None


def split_reason(reason: str | None) -> Reason:
    """The reason as its writer gave it, and the request or export it was part of."""
    if not reason:
        return Reason(reason or None)
    found = _REQUEST_NOTE.search(reason)
    if found:
        return Reason(reason[:found.start()], request_id=found.group(1))
    found = _EXPORT_NOTE.search(reason)
    if found:
        return Reason(reason[:found.start()], export_id=found.group(1))
    return Reason(reason)


def day_bounds(from_date: date | None, to_date: date | None
               ) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC of the business days from_date..to_date (both included)."""
    if from_date and to_date and to_date < from_date:
        raise ValidationFailed("the end date is before the start date", "to_date")
    start = datetime.combine(from_date, time(), clock.SHANGHAI) if from_date else None
    end = (datetime.combine(to_date + timedelta(days=1), time(), clock.SHANGHAI)
           if to_date else None)
    return start, end


def _customer(customer_id: uuid.UUID, names: dict[uuid.UUID, str]) -> dict | None:
    if customer_id == NO_CUSTOMER:
        return None
    name = names.get(customer_id)
    return {"id": str(customer_id), "name": masked_name(name) if name else None}


def _actor(actor_id: uuid.UUID, names: dict[uuid.UUID, str]) -> dict:
    return {"id": str(actor_id), "name": names.get(actor_id)}


def audit_item(row, actors: dict[uuid.UUID, str], customers: dict[uuid.UUID, str]) -> dict:
    """One audit row: who (actor), whom (customer, name masked), why, when."""
    reason = split_reason(row.reason)
    return {"id": str(row.id), "action": row.action, "actor": _actor(row.actor_id, actors),
            "customer": _customer(row.customer_id, customers), "reason": reason.text,
            "request_id": reason.request_id, "export_id": reason.export_id,
            "at": row.at.isoformat()}


@dataclass(frozen=True)
class RequestRow:
    """A data-subject request as the audit holds it: its rows grouped by request id."""

    request_id: str
    action: str
    actor_id: uuid.UUID
    at: datetime
    customer_ids: list[uuid.UUID]
    reason: str | None


def request_item(row: RequestRow, actors: dict[uuid.UUID, str],
                 customers: dict[uuid.UUID, str]) -> dict:
    """One past request: kind, subject (its customer records, names masked), how many
    records it touched, who asked and when."""
    subjects = [c for c in (_customer(i, customers) for i in sorted(row.customer_ids))
                if c is not None]
    return {"request_id": row.request_id, "kind": DSAR_KINDS[row.action],
            "actor": _actor(row.actor_id, actors), "reason": split_reason(row.reason).text,
            "customers": subjects, "records": len(subjects), "at": row.at.isoformat()}
