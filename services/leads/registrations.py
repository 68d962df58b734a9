"""Registrations (报备) and rulings (判客): queries and writes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from contracts import leads as c
from kit import clock, outbox
from services.leads.ruling import Verdict, deal_window
from services.leads.store import CustomerKey, Outbox, Registration, Ruling, phones_of


def lock_phone(session: Session, company_id: uuid.UUID, phone_index: str) -> None:
    """Serialise everything that decides about one person of one company (register, intake),
    so two agents registering at once cannot both hold the customer."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"person:{company_id}:{phone_index}"})


def lock_customer(session: Session, key: CustomerKey) -> None:
    """Serialise with everything deciding about the customer through another of their phones
    (an extra one, a merged record's): everyone takes the customer's own phone's lock after
    the lock of the phone they came with, never before, so no two wait on each other."""
    lock_phone(session, key.company_id, key.phone_index)


def for_phones(session: Session, company_id: uuid.UUID,
               phone_indexes: set[str]) -> list[Registration]:
    """The open registrations of a person, by any of their phones, oldest first."""
    return list(session.scalars(_OPEN_REGISTRATIONS, {"company_id": company_id,
                                                      "indexes": list(phone_indexes)}))


# Built once: every lead asks it.
_OPEN_REGISTRATIONS = (
    select(Registration)
    .where(Registration.company_id == bindparam("company_id"),
           Registration.phone_index.in_(bindparam("indexes", expanding=True)),
           Registration.status != "expired")
    .order_by(Registration.registered_at))


def for_person(session: Session, company_id: uuid.UUID, phone_index: str,
               key: CustomerKey | None = None) -> list[Registration]:
    """The open registrations of the person with this phone: on any phone that leads to
    their customer record (see store.phones_of), or on this phone if they are none yet."""
    return for_phones(session, company_id,
                      {phone_index} | (phones_of(session, key) if key is not None else set()))


def apply_verdict(session: Session, verdict: Verdict, *, company_id: uuid.UUID,
                  customer_id: uuid.UUID, lead_id: uuid.UUID | None,
                  registrations: list[Registration], rules: c.ProtectionSettings,
                  now: datetime) -> Ruling:
    reg = next((r for r in registrations if r.id == verdict.registration_id), None)
    if reg is not None and verdict.mark_visited:
        reg.status, reg.visited_at = "visited", now
        reg.deal_protect_until = deal_window(now, rules)
    if reg is not None and verdict.expire:
        reg.status = "expired"
    ruling = Ruling(id=uuid.uuid4(), company_id=company_id, customer_id=customer_id,
                    lead_id=lead_id, registration_id=verdict.registration_id,
                    outcome=verdict.outcome, attributed_to=verdict.attributed_to,
                    rule=verdict.rule, reason=verdict.reason, decided_at=now)
    session.add(ruling)
    outbox.record(session, Outbox, c.SERVICE, c.RULING_MADE, c.RulingMade(
        ruling_id=ruling.id, company_id=company_id, customer_id=customer_id, lead_id=lead_id,
        registration_id=verdict.registration_id, outcome=verdict.outcome,
        attributed_to=verdict.attributed_to, rule=verdict.rule, reason=verdict.reason,
        decided_at=now))
    return ruling


def view(reg: Registration, now: datetime | None = None) -> dict:
    now = now or clock.now()
    from services.leads.ruling import is_protected

    status = reg.status if reg.status == "expired" or is_protected(reg, now) else "expired"
    return c.RegistrationView(
        id=reg.id, project_id=reg.project_id, customer_name=reg.customer_name,
        phone=reg.phone_masked, agent_id=reg.agent_id, agency=reg.agency, status=status,
        registered_at=reg.registered_at, visit_protect_until=reg.visit_protect_until,
        deal_protect_until=reg.deal_protect_until, visited_at=reg.visited_at,
    ).model_dump(mode="json")
