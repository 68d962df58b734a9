"""Accepting a lead: the one path for manual entry, client apps, webhooks and imports.

Normalise and check, replay a retried request, dedupe by the phone's blind index, assign,
store the lead, record lead.created / lead.assigned in the outbox, commit."""

from __future__ import annotations

import uuid

from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts import leads as c
from contracts.actor import Actor
from contracts.errors import Conflict, Forbidden, ValidationFailed
from kit import clock, outbox, phones
from kit.crypto import Vault
from services.leads import domain, offers, registrations, ruling, store


def _emit(session: Session, event_type: str, payload) -> None:
    outbox.record(session, store.Outbox, c.SERVICE, event_type, payload)


def submit(session: Session, vault: Vault, actor: Actor, new: c.NewLead,
           idempotency_key: str | None = None, *, source: str = "manual",
           external_id: str | None = None) -> dict:
    """Accept one lead and commit; a retry with the same key answers what the first got.
    `source` is manual, webhook or import; `external_id` the channel's own lead id."""
    if idempotency_key is not None and not (0 < len(str(idempotency_key)) <= 200):
        raise ValidationFailed("must be 1 to 200 characters", "Idempotency-Key")
    e164 = phones.normalise(new.phone)
    company_id, rules = store.project_and_settings(session, new.project_id)
    if company_id is None or company_id != actor.company_id or rules is None:
        raise ValidationFailed("unknown project", "project_id")
    if not domain.may_enter_for(actor, new.project_id):
        raise Forbidden("you may not enter leads for this project", "project_id")
    missing = domain.missing_required(new, rules)
    if missing:
        raise ValidationFailed(f"{missing} is required for this project", missing)

    fingerprint = domain.request_hash({**new.model_dump(mode="json"), "phone": e164})
    if idempotency_key:
        replay = _replay(session, actor.company_id, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    try:
        accepted = _accept(session, vault, actor, new, e164, source, external_id, rules)
        if idempotency_key:
            store.NEW_IDEMPOTENCY_KEY.execute(
                session, company_id=actor.company_id, key=idempotency_key,
                request_hash=fingerprint, response=Jsonb(accepted), created_at=clock.now())
        session.commit()
    except IntegrityError:
        # The same Idempotency-Key raced us and won: answer what it answered.
        session.rollback()
        replay = idempotency_key and _replay(session, actor.company_id, idempotency_key,
                                             fingerprint)
        if not replay:
            raise
        return replay
    return accepted


def _replay(session: Session, company_id, key: str, fingerprint: str) -> dict | None:
    seen = session.execute(_SEEN_KEY, {"company_id": company_id, "key": key}).first()
    if seen is None:
        return None
    if seen.request_hash != fingerprint:
        raise Conflict("this Idempotency-Key was used for a different lead",
                       "Idempotency-Key")
    return seen.response


_SEEN_KEY = text("SELECT request_hash, response FROM leads.idempotency_keys "
                 "WHERE company_id = :company_id AND key = :key")

PORTRAIT_COLUMNS = ("city", "district", "budget_min", "budget_max", "layout", "area_min",
                    "area_max", "purpose", "referrer_customer_id", "agent_id")


def _accept(session: Session, vault: Vault, actor: Actor, new: c.NewLead, e164: str,
            source: str, external_id: str | None, rules: c.ProjectLeadSettings) -> dict:
    sealed = vault.seal_phone(e164)
    lead_id = uuid.uuid4()
    grade, grade_reason = domain.grade(new, rules)
    registrations.lock_phone(session, actor.company_id, sealed.index)
    # A customer's primary phone or one of their extra phones; else claim it, which only an
    # import storing the same phone at this moment can beat (then it is that customer's).
    key = store.customer_for_phone(session, actor.company_id, sealed.index)
    if key is None:
        key = store.claim_customer_key(session, actor.company_id, sealed.index, uuid.uuid4(),
                                       lead_id, project_id=new.project_id, name=new.name,
                                       phone_masked=sealed.masked)
        if key is None:
            key = store.customer_for_phone(session, actor.company_id, sealed.index)
    duplicate = key.first_lead_id != lead_id
    if duplicate:
        registrations.lock_customer(session, key)
        assignment = domain.Assignment(key.owner_id, "existing",
                                       "phone already known: linked to existing customer")
    else:
        rotation = store.lock_rotation(session, new.project_id)
        candidates = store.assignable_consultants(session, new.project_id)
        loads = (store.open_customer_counts(session, candidates)
                 if rules.assignment.strategy == "load" else None)
        assignment = domain.choose_owner(actor, new.project_id, candidates,
                                         rotation.last_user_id, rules.assignment,
                                         new.district, loads)
        if assignment.strategy in ("round_robin", "region", "load"):
            rotation.last_user_id = assignment.owner_id
        if assignment.strategy == "grab":
            offers.offer(session, key, lead_id, candidates,
                         rules.assignment.grab_window_minutes)
        key.owner_id = assignment.owner_id
        key.owner_since = clock.now() if assignment.owner_id else None
        key.grade = grade
    now = clock.now()
    agent_id = _rule_on_attribution(session, actor, new, key, duplicate, lead_id, rules, now,
                                    sealed.index)
    session.flush()  # the customer key's owner and the rotation, before the lead row
    store.NEW_LEAD.execute(
        session, id=lead_id, company_id=actor.company_id, project_id=new.project_id,
        customer_id=key.customer_id, channel=new.channel.value, sub_source=new.sub_source,
        name=new.name, phone_enc=sealed.enc, phone_index=sealed.index, note=new.note,
        status="duplicate" if duplicate else "created", owner_id=assignment.owner_id,
        assignment_strategy=assignment.strategy, assignment_reason=assignment.reason,
        created_by=actor.user_id, created_at=now, source=source, external_id=external_id,
        grade=grade, grade_reason=grade_reason, agent_id=agent_id, import_job_id=None,
        **new.model_dump(mode="json", include=set(PORTRAIT_COLUMNS) - {"agent_id"}))
    _emit(session, c.LEAD_CREATED, c.LeadCreated(
        lead_id=lead_id, customer_id=key.customer_id, company_id=actor.company_id,
        project_id=new.project_id, channel=new.channel, sub_source=new.sub_source,
        name=new.name, phone=sealed, duplicate=duplicate, owner_id=assignment.owner_id,
        created_at=now, source=source, grade=grade, agent_id=agent_id,
        portrait=c.LeadPortrait.of(new.model_dump()),
        referrer_customer_id=new.referrer_customer_id))
    if not duplicate:
        _emit(session, c.LEAD_ASSIGNED, c.LeadAssigned(
            lead_id=lead_id, customer_id=key.customer_id, company_id=actor.company_id,
            project_id=new.project_id, owner_id=assignment.owner_id,
            strategy=assignment.strategy, reason=assignment.reason))
    return c.LeadAccepted(
        lead_id=lead_id, customer_id=key.customer_id,
        status="duplicate" if duplicate else "created", owner_id=assignment.owner_id,
        assignment_reason=assignment.reason, grade=grade).model_dump(mode="json")


def _rule_on_attribution(session: Session, actor: Actor, new: c.NewLead, key, duplicate: bool,
                         lead_id, rules: c.ProjectLeadSettings, now,
                         phone_index: str) -> uuid.UUID | None:
    """判客 when the person is registered (on any phone that leads to the customer) or an
    agent brings the lead; the attributed agent."""
    held = registrations.for_person(session, actor.company_id, phone_index,
                                    key if duplicate else None)
    if not held and new.agent_id is None:
        return None
    verdict = ruling.rule_on_lead(held, new.agent_id, now,
                                  key.created_at if duplicate else None, key.owner_id)
    if verdict is None:
        return None
    registrations.apply_verdict(session, verdict, company_id=actor.company_id,
                                customer_id=key.customer_id, lead_id=lead_id,
                                registrations=held, rules=rules.protection, now=now)
    return verdict.attributed_to if verdict.outcome == "agent" else None
