"""报备 and 判客 without I/O: may an agent register this customer, and when a lead arrives for a
registered phone, who is the customer attributed to, by which rule, and why.

Rules, in order (the reasons are stored so any attribution can be explained later):
1. A registration protects the customer for the agent: until the visit protection ends, or
   once the customer visited, until the deal protection ends.
2. While protected, a second agent's registration is refused, naming holder and expiry.
3. A customer the company already owns cannot be registered (老客户不可报备).
4. A lead for a protected phone is attributed to the registering agent, whoever brings it:
   the agent themself (registered visit), a walk-in (natural visit within protection), or
   another agent (first registration wins). The first such visit starts deal protection.
5. A lead brought by an agent without a valid registration is a natural customer.
6. A registration whose protection ended is closed when its phone comes in again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from contracts.leads import ProtectionSettings
from kit import clock


@dataclass(frozen=True)
class Verdict:
    outcome: str                      # agent | natural | existing_customer
    rule: str
    reason: str
    attributed_to: UUID | None
    registration_id: UUID | None
    mark_visited: bool = False
    expire: bool = False


def _at(moment: datetime) -> str:
    return f"{clock.to_local(moment):%Y-%m-%d %H:%M}"


def protected_until(reg) -> datetime:
    return reg.deal_protect_until if reg.visited_at and reg.deal_protect_until \
        else reg.visit_protect_until


def is_protected(reg, now: datetime) -> bool:
    return reg.status != "expired" and now < protected_until(reg)


def new_registration_window(now: datetime, rules: ProtectionSettings) -> datetime:
    return now + timedelta(days=rules.visit_days)


def deal_window(now: datetime, rules: ProtectionSettings) -> datetime:
    return now + timedelta(days=rules.deal_days)


def registration_refusal(registrations, agent_id: UUID, now: datetime,
                         owned_since: datetime | None) -> tuple[str, dict] | None:
    """Why this agent may not register the phone now (message, details), or None."""
    holder = next((r for r in registrations
                   if is_protected(r, now) and r.agent_id != agent_id), None)
    if holder is not None:
        return (f"already registered by another agent until {_at(protected_until(holder))}",
                {"holder_agent_id": str(holder.agent_id),
                 "registered_at": holder.registered_at.isoformat(),
                 "protected_until": protected_until(holder).isoformat()})
    if owned_since is not None:
        return (f"already a customer of the company since {_at(owned_since)}", {})
    return None


def rule_on_lead(registrations, lead_agent_id: UUID | None, now: datetime,
                 known_since: datetime | None, owner_id: UUID | None) -> Verdict | None:
    """The ruling for a lead whose phone has registrations (or an agent), else None."""
    holder = next((r for r in registrations if is_protected(r, now)), None)
    if holder is not None:
        first_visit = holder.visited_at is None
        base = (f"registered by agent {holder.agent_id} at {_at(holder.registered_at)}, "
                f"protected until {_at(protected_until(holder))}")
        if lead_agent_id == holder.agent_id:
            return Verdict("agent", "registered_visit", f"{base}; brought by that agent",
                           holder.agent_id, holder.id, mark_visited=first_visit)
        if lead_agent_id is not None:
            return Verdict("agent", "first_registration_wins",
                           f"{base}; agent {lead_agent_id} came later without protection",
                           holder.agent_id, holder.id, mark_visited=first_visit)
        return Verdict("agent", "visit_within_protection",
                       f"{base}; the customer came by themself within the protection",
                       holder.agent_id, holder.id, mark_visited=first_visit)
    lapsed = next((r for r in registrations if r.status != "expired"), None)
    if lead_agent_id is not None:
        if known_since is not None:
            return Verdict("existing_customer", "existing_customer_first",
                           f"the customer was known since {_at(known_since)} before agent "
                           f"{lead_agent_id} brought them", owner_id, None)
        return Verdict("natural", "agent_not_registered",
                       f"agent {lead_agent_id} had no valid registration for this customer",
                       None, lapsed.id if lapsed else None, expire=lapsed is not None)
    if lapsed is not None:
        return Verdict("natural", "registration_expired",
                       f"registration by agent {lapsed.agent_id} ended at "
                       f"{_at(protected_until(lapsed))}", None, lapsed.id, expire=True)
    return None
