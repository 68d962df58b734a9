"""Lead rules without I/O: who may enter leads, and who gets a new customer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from contracts.actor import Actor, Role
from contracts.leads import (
    AssignmentSettings,
    GradeCondition,
    NewLead,
    PoolSettings,
    ProjectLeadSettings,
)
from kit import clock

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


def choose_owner(actor: Actor, project_id: UUID, candidates: list[UUID], last: UUID | None,
                 rules: AssignmentSettings | None = None, district: str | None = None,
                 loads: dict[UUID, int] | None = None) -> Assignment:
    """Who gets a new customer, and why (the reason is stored with the lead).

    A consultant entering their own lead keeps it. Otherwise the project's strategy among
    its on-duty consultants: round-robin; by region (the district's consultants first); or
    by load (fewest open customers, under a cap). Nobody eligible: the project's pool."""
    if actor.role == Role.consultant and project_id in actor.project_ids:
        return Assignment(actor.user_id, "self", f"entered by consultant {actor.name or ''}")
    rules = rules or AssignmentSettings()
    if not candidates:
        return Assignment(None, "pool", "no consultant of the project is on duty; sent to pool")
    if rules.strategy == "region" and district:
        local = [c for c in candidates if c in set(rules.regions.get(district, ()))]
        if local:
            return Assignment(next_in_rotation(local, last), "region",
                              f"district {district}: round-robin among {len(local)} "
                              "on-duty consultants of the district")
        owner = next_in_rotation(candidates, last)
        return Assignment(owner, "region", f"no on-duty consultant for district {district}; "
                          f"round-robin among all {len(candidates)}")
    if rules.strategy == "grab":
        return Assignment(None, "grab", f"offered to {len(candidates)} on-duty consultants for "
                          f"{rules.grab_window_minutes} min (抢单)")
    if rules.strategy == "load":
        loads = loads or {}
        cap = rules.load_cap
        eligible = [c for c in candidates if cap is None or loads.get(c, 0) < cap]
        if not eligible:
            return Assignment(None, "pool", f"every on-duty consultant holds {cap} or more "
                              "open customers; sent to pool")
        lightest = min(loads.get(c, 0) for c in eligible)
        tied = [c for c in eligible if loads.get(c, 0) == lightest]
        cap_note = f", cap {cap}" if cap is not None else ""
        return Assignment(next_in_rotation(tied, last), "load",
                          f"lightest load: {lightest} open customers{cap_note}")
    return Assignment(next_in_rotation(candidates, last), "round_robin",
                      f"round-robin among {len(candidates)} on-duty consultants")


def missing_required(lead: NewLead, settings: ProjectLeadSettings) -> str | None:
    """The first field the project requires that the lead lacks."""
    return next((f for f in settings.required_fields if getattr(lead, f) in (None, "")), None)


def _holds(condition: GradeCondition, value) -> bool:
    match condition.op:
        case "present":
            return value not in (None, "")
        case "gte":
            return value is not None and value >= condition.value
        case "lte":
            return value is not None and value <= condition.value
        case "eq":
            return value is not None and str(value) == str(condition.value)
        case "in":
            return (value is not None and isinstance(condition.value, list)
                    and str(value) in condition.value)
    return False


def grade(lead: NewLead, settings: ProjectLeadSettings) -> tuple[str, str]:
    """The first rule whose every condition holds gives the grade; else the default."""
    for number, rule in enumerate(settings.grading, start=1):
        if all(_holds(cond, _value(getattr(lead, cond.field))) for cond in rule.when):
            return rule.grade, f"rule {number}: {rule.label or rule.grade}"
    return settings.default_grade, "no rule matched: default grade"


def _value(value):
    return value.value if hasattr(value, "value") else value


def may_enter_for(actor: Actor, project_id: UUID) -> bool:
    if actor.role not in MAY_ENTER_LEADS:
        return False
    return actor.role not in PROJECT_BOUND or project_id in actor.project_ids


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def claim_refusal(actor: Actor, previous_owner_id: UUID | None, released_at: datetime | None,
                  claims_today: int, rules: PoolSettings, now: datetime) -> str | None:
    """Why this consultant may not claim this pool customer now, or None if they may."""
    if actor.role != Role.consultant:
        return "only consultants claim from the pool; managers assign from it"
    if claims_today >= rules.daily_claim_cap:
        return f"daily claim limit reached ({rules.daily_claim_cap} a day)"
    if (previous_owner_id == actor.user_id and released_at is not None
            and now - released_at < timedelta(days=rules.cooling_days)):
        until = clock.to_local(released_at + timedelta(days=rules.cooling_days))
        return (f"you released this customer; you may claim it again after "
                f"{until:%Y-%m-%d %H:%M}")
    return None


def may_release(actor: Actor, owner_id: UUID | None, owner_team_id: UUID | None) -> bool:
    """The owner, their manager, or an admin/director may put a customer into the pool."""
    if owner_id is None:
        return False
    if actor.user_id == owner_id or actor.role in (Role.admin, Role.director):
        return True
    return actor.role == Role.manager and owner_team_id is not None \
        and owner_team_id == actor.team_id


def start_of_local_day(now: datetime) -> datetime:
    local = clock.to_local(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def next_up(slots, available: set[UUID]):
    """Walk-in rotation (轮岗接待): the first in line who is not paused and is on duty."""
    return next((s for s in sorted(slots, key=lambda s: s.position)
                 if not s.paused and s.user_id in available), None)


def planned_owner(mode: str, to_user_id: UUID | None, eligible: list[UUID],
                  index: int) -> tuple[UUID | None, str | None]:
    """A handover's new owner for the `index`-th customer (from 0) of one project, decided
    when the job is made: the named colleague, the pool (None), or round-robin over the
    eligible colleagues in a stable order, so the same facts always give the same plan.
    The note says why a customer goes to the pool when the plan wanted a colleague."""
    if mode == "colleague":
        return to_user_id, None
    if mode == "pool":
        return None, None
    ordered = sorted(eligible)
    if not ordered:
        return None, "no active consultant of the team in the project: to the pool"
    return ordered[index % len(ordered)], None


def replanned_owner(planned: UUID, eligible: list[UUID],
                    index: int) -> tuple[UUID | None, str]:
    """The planned colleague is no longer an active consultant of the customer's project:
    round-robin over the eligible ones instead, or the pool when there are none; and why."""
    ordered = sorted(e for e in eligible if e != planned)
    if not ordered:
        return None, (f"planned owner {planned} is no longer an active consultant of the "
                      "project, nor is anyone else of the team: to the pool")
    new = ordered[index % len(ordered)]
    return new, (f"planned owner {planned} is no longer an active consultant of the "
                 f"project: round-robin to {new}")


# 录入's known-phone check: at most this many checks per user in a window, so that it
# cannot be used to go through numbers (a consultant enters a few leads an hour).
PHONE_CHECK_LIMIT = 30
PHONE_CHECK_WINDOW = timedelta(minutes=10)
PHONE_CHECK_ROLES = (Role.consultant, Role.manager, Role.director, Role.admin)


def phone_check_window(now: datetime) -> datetime:
    """Start of the fixed window `now` falls in."""
    seconds = int(PHONE_CHECK_WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)


def phone_check_answer(actor: Actor, customer_id: UUID | None, owner_id: UUID | None,
                       owner_name: str | None, checks_left: int) -> dict:
    """What the asker (staff of the project) learns about a phone: whether it is a customer
    already and whose, the customer's id only when it is their own."""
    if customer_id is None:
        return {"known": False, "checks_left": checks_left}
    mine = owner_id is not None and owner_id == actor.user_id
    return {"known": True, "mine": mine, "in_pool": owner_id is None,
            "owner_name": owner_name if owner_id is not None else None,
            "customer_id": customer_id if mine else None, "checks_left": checks_left}


def settings_refusal(rules, consultants: set[UUID]) -> tuple[str, str] | None:
    """What a director's new lead rules get wrong that the model alone lets through, as
    (message, field), or None. Checked on writing only: rules stored before stay readable.
    A condition 属于任一 of nothing never matches; a negative budget or area is a typo; a
    region's consultant must be an active consultant of the project."""
    for i, rule in enumerate(rules.grading):
        for j, cond in enumerate(rule.when):
            field = f"grading.{i}.when.{j}.value"
            if cond.op == "in" and not cond.value:
                return "choose at least one value", field
            if cond.op in ("gte", "lte") and isinstance(cond.value, int) and cond.value < 0:
                return "must not be negative", field
    for district, owners in rules.assignment.regions.items():
        for n, owner in enumerate(owners):
            if owner not in consultants:
                return ("not an active consultant of this project",
                        f"assignment.regions.{district}.{n}")
    return None
