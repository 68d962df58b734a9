"""Grab mode (抢单): a new customer is offered to the project's on-duty consultants; the
first grab wins atomically; when the window passes unclaimed, round-robin decides."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kit import clock
from services.leads import domain, pool
from services.leads.store import CustomerKey, Offer, assignable_consultants, lock_rotation

BATCH = 100


def offer(session: Session, key: CustomerKey, lead_id: uuid.UUID,
          candidates: list[uuid.UUID], window_minutes: int) -> Offer:
    now = clock.now()
    row = Offer(id=uuid.uuid4(), company_id=key.company_id, project_id=key.project_id,
                customer_id=key.customer_id, lead_id=lead_id, candidate_ids=candidates,
                status="open", offered_at=now, expires_at=now + timedelta(
                    minutes=window_minutes))
    session.add(row)
    return row


def open_for(session: Session, user_id: uuid.UUID) -> list[Offer]:
    return list(session.scalars(select(Offer).where(
        Offer.status == "open", Offer.candidate_ids.any(user_id),  # type: ignore[arg-type]  # SQLAlchemy types a mapped ARRAY's .any() as a relationship's
        Offer.expires_at > clock.now()).order_by(Offer.offered_at)))


def grab(session: Session, offer_id: uuid.UUID, user_id: uuid.UUID) -> Offer | None:
    """The first consultant to grab wins; None for everyone else (or a closed offer)."""
    now = clock.now()
    won = session.scalars(
        update(Offer).where(Offer.id == offer_id, Offer.status == "open",
                            Offer.candidate_ids.any(user_id), Offer.expires_at > now)  # type: ignore[arg-type]  # SQLAlchemy types a mapped ARRAY's .any() as a relationship's
        .values(status="claimed", claimed_by=user_id, claimed_at=now)
        .returning(Offer)).first()
    if won is None:
        return None
    key = session.get_one(CustomerKey, won.customer_id)
    pool.take(session, key, user_id, action="grab", by=user_id,
              reason="抢单: first to grab the offer")
    return won


def expire_due(session: Session) -> int:
    """Close offers whose window passed: round-robin among those on duty now. Safe in any
    number of replicas (SKIP LOCKED)."""
    due = list(session.scalars(
        select(Offer).where(Offer.status == "open", Offer.expires_at <= clock.now())
        .order_by(Offer.expires_at).limit(BATCH).with_for_update(skip_locked=True)))
    for row in due:
        row.status = "expired"
        key = session.get(CustomerKey, row.customer_id)
        if key is None or key.owner_id is not None:
            continue
        rotation = lock_rotation(session, row.project_id)
        owner = domain.next_in_rotation(assignable_consultants(session, row.project_id),
                                        rotation.last_user_id)
        if owner is None:
            continue  # nobody on duty: it stays in the pool
        rotation.last_user_id = owner
        pool.take(session, key, owner, action="grab_fallback", by=None,
                  reason="抢单 window passed unclaimed: round-robin")
    return len(due)


def withdraw_candidate(session: Session, user_id: uuid.UUID) -> int:
    """A deactivated consultant is no longer offered anything: out of every open offer's
    candidates; an offer left with nobody closes now, as if nobody grabbed it (round-robin
    among those on duty, see expire_due). How many offers named them."""
    now = clock.now()
    named = session.execute(
        update(Offer).where(Offer.status == "open", Offer.candidate_ids.any(user_id))  # type: ignore[arg-type]  # SQLAlchemy types a mapped ARRAY's .any() as a relationship's
        .values(candidate_ids=func.array_remove(Offer.candidate_ids, user_id))
        .returning(Offer.id)).all()
    session.execute(update(Offer).where(
        Offer.status == "open", func.cardinality(Offer.candidate_ids) == 0,
        Offer.expires_at > now).values(expires_at=now))
    return len(named)
