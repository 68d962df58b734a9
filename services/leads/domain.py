"""Lead rules without I/O: who may enter leads, and who gets a new customer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from uuid import UUID

from contracts.actor import Actor, Role

MAY_ENTER_LEADS = (Role.consultant, Role.manager, Role.director, Role.admin, Role.integration,
                   Role.channel_agent)
PROJECT_BOUND = (Role.consultant, Role.manager, Role.director, Role.channel_agent)


@dataclass(frozen=True)
class Assignment:
    owner_id: UUID | None
    strategy: str
    reason: str


def next_in_rotation(candidates: list[UUID], last: UUID | None) -> UUID | None:
    """Round-robin: the first candidate after `last` in a stable order, wrapping around.
    Works when `last` has since left the rotation (off duty, deactivated)."""
    ordered = sorted(candidates)
    if not ordered:
        return None
    if last is None:
        return ordered[0]
    return next((c for c in ordered if c > last), ordered[0])


def choose_owner(actor: Actor, project_id: UUID, candidates: list[UUID],
                 last: UUID | None) -> Assignment:
    """A consultant entering their own lead keeps it; otherwise the project's rotation.
    Nobody on duty: the customer waits in the project's pool."""
    if actor.role == Role.consultant and project_id in actor.project_ids:
        return Assignment(actor.user_id, "self", f"entered by consultant {actor.name or ''}")
    owner = next_in_rotation(candidates, last)
    if owner is None:
        return Assignment(None, "pool", "no consultant of the project is on duty; sent to pool")
    return Assignment(owner, "round_robin",
                      f"round-robin among {len(candidates)} on-duty consultants")


def may_enter_for(actor: Actor, project_id: UUID) -> bool:
    if actor.role not in MAY_ENTER_LEADS:
        return False
    return actor.role not in PROJECT_BOUND or project_id in actor.project_ids


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
