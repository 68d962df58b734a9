"""The public pool (公海): queries and the atomic ownership changes behind claim, assign and
release. Every change is recorded in pool_actions and announced as an event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Session

from contracts import handover as h
from contracts import leads as c
from kit import clock, outbox
from kit.db import copy_rows
from services.leads.store import CustomerKey, Offer, Outbox, PoolAction, Users


def listing(session: Session, company_id: uuid.UUID, project_ids: list[uuid.UUID] | None,
            page: int, page_size: int) -> tuple[int, list[CustomerKey]]:
    stmt = select(CustomerKey).where(CustomerKey.company_id == company_id,
                                     CustomerKey.owner_id.is_(None), ~on_offer(),
                                     CustomerKey.merged_into.is_(None))
    if project_ids is not None:
        stmt = stmt.where(CustomerKey.project_id.in_(project_ids))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.scalars(stmt.order_by(CustomerKey.released_at.desc().nulls_last(),
                                         CustomerKey.created_at.desc())
                           .limit(page_size).offset((page - 1) * page_size))
    return total, list(rows)


def on_offer():
    """Customers being offered in grab mode are not in the pool until the offer closes."""
    return exists().where(Offer.customer_id == CustomerKey.customer_id,
                          Offer.status == "open")


def is_on_offer(session: Session, customer_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(exists().where(Offer.customer_id == customer_id,
                                                     Offer.status == "open"))))


def lock_claimer(session: Session, user_id: uuid.UUID) -> None:
    """One claim at a time per consultant, so the daily cap holds under concurrent clicks."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"pool-claim:{user_id}"})


def claims_since(session: Session, user_id: uuid.UUID, since: datetime) -> int:
    return session.execute(select(func.count()).select_from(PoolAction).where(
        PoolAction.actor_id == user_id, PoolAction.action == "claim",
        PoolAction.at >= since)).scalar_one()


def team_of(session: Session, user_id: uuid.UUID | None) -> uuid.UUID | None:
    if user_id is None:
        return None
    return session.scalar(select(Users.c.team_id).where(Users.c.id == user_id))


def is_assignable(session: Session, user_id: uuid.UUID, project_id: uuid.UUID | None) -> bool:
    u = Users.c
    stmt = select(u.id).where(u.id == user_id, u.role == "consultant", u.active.is_(True))
    if project_id is not None:
        stmt = stmt.where(u.project_ids.any(project_id))
    return session.scalar(stmt) is not None


def take(session: Session, key: CustomerKey, new_owner: uuid.UUID, *, action: str,
         by: uuid.UUID | None, reason: str | None) -> bool:
    """Out of the pool, atomically: False when someone else took it first."""
    now = clock.now()
    taken = session.execute(
        update(CustomerKey)
        .where(CustomerKey.customer_id == key.customer_id, CustomerKey.owner_id.is_(None))
        .values(owner_id=new_owner, owner_since=now,
                owner_revision=CustomerKey.owner_revision + 1)
        .returning(CustomerKey.owner_revision)).first()
    if taken is None:
        return False
    _record(session, key, action, by, new_owner, key.previous_owner_id, reason, now,
            taken.owner_revision, c.CUSTOMER_CLAIMED)
    return True


def give_back(session: Session, key: CustomerKey, *, action: str, by: uuid.UUID | None,
              reason: str) -> bool:
    """Into the pool, atomically: False when it was no longer owned by that owner."""
    now = clock.now()
    owner = key.owner_id
    released = session.execute(
        update(CustomerKey)
        .where(CustomerKey.customer_id == key.customer_id, CustomerKey.owner_id == owner)
        .values(owner_id=None, owner_since=None, previous_owner_id=owner, released_at=now,
                release_reason=reason, owner_revision=CustomerKey.owner_revision + 1)
        .returning(CustomerKey.owner_revision)).first()
    if released is None:
        return False
    _record(session, key, action, by, None, owner, reason, now, released.owner_revision,
            c.CUSTOMER_RELEASED)
    return True


def hand_over(session: Session, moves: list[tuple[CustomerKey, uuid.UUID | None]], *,
              handover_id: uuid.UUID, action: str, by: uuid.UUID, reason: str
              ) -> set[uuid.UUID]:
    """A handover's batch: each customer from its owner (as loaded in `key`) to a new owner,
    or into the pool when that is None, atomically: owner_revision + 1, a pool_actions row
    with the reason, and one customers.handed_over fact for the batch in the outbox. A
    customer whose owner is no longer the one loaded is left alone. A handful of
    statements, however many it moves. Answers the customers moved."""
    if not moves:
        return set()
    now = clock.now()
    revisions: dict[uuid.UUID, int] = dict(session.execute(_HAND_OVER, {
        "ids": [key.customer_id for key, _ in moves],
        "expected": [key.owner_id for key, _ in moves],
        "owners": [new_owner for _, new_owner in moves], "at": now, "reason": reason}).tuples()
        .all())
    done = [(key, new_owner) for key, new_owner in moves if key.customer_id in revisions]
    copy_rows(session, PoolAction.__table__, [dict(
        id=uuid.uuid4(), company_id=key.company_id, project_id=key.project_id,
        customer_id=key.customer_id, action=action, actor_id=by, owner_id=new_owner,
        previous_owner_id=key.owner_id, reason=reason, at=now) for key, new_owner in done])
    if done:
        outbox.record(session, Outbox, c.SERVICE, h.CUSTOMERS_HANDED_OVER, h.HandedOver(
            handover_id=handover_id, company_id=done[0][0].company_id, action=action,
            reason=reason, by=by, at=now, moves=[h.Move(
                customer_id=key.customer_id, project_id=key.project_id, owner_id=new_owner,
                previous_owner_id=key.owner_id, owner_revision=revisions[key.customer_id])
                for key, new_owner in done]))
    for key, _ in moves:
        session.expire(key)
    return set(revisions)


# hand_over's one statement for a whole batch: each row moves only from the owner expected.
_HAND_OVER = text("""
    UPDATE leads.customer_keys AS k SET
        owner_id = p.new_owner, previous_owner_id = k.owner_id,
        owner_since = CASE WHEN p.new_owner IS NULL THEN NULL ELSE :at END,
        released_at = CASE WHEN p.new_owner IS NULL THEN :at ELSE k.released_at END,
        release_reason = CASE WHEN p.new_owner IS NULL THEN :reason ELSE k.release_reason END,
        owner_revision = k.owner_revision + 1
    FROM unnest(CAST(:ids AS uuid[]), CAST(:expected AS uuid[]), CAST(:owners AS uuid[]))
        AS p(customer_id, expected, new_owner)
    WHERE k.customer_id = p.customer_id AND k.owner_id = p.expected
    RETURNING k.customer_id, k.owner_revision""").columns(
    customer_id=PG_UUID(as_uuid=True), owner_revision=Integer)


def _record(session: Session, key: CustomerKey, action: str, by, owner, previous, reason,
            at: datetime, revision: int, event_type: str) -> None:
    session.add(PoolAction(id=uuid.uuid4(), company_id=key.company_id, project_id=key.project_id,
                           customer_id=key.customer_id, action=action, actor_id=by,
                           owner_id=owner, previous_owner_id=previous, reason=reason, at=at))
    outbox.record(session, Outbox, c.SERVICE, event_type, c.OwnershipChanged(
        customer_id=key.customer_id, company_id=key.company_id, project_id=key.project_id,
        owner_id=owner, previous_owner_id=previous, action=action, by=by, reason=reason,
        at=at, owner_revision=revision))


def may_see_history(session: Session, actor, key: CustomerKey) -> bool:
    """Who may read a customer's arrivals and rulings: its owner, the owner's manager (or
    any manager of the project while it sits in the pool), the project's director, admin."""
    from contracts.actor import Role

    if actor.role == Role.admin:
        return True
    if actor.role == Role.consultant:
        return key.owner_id == actor.user_id
    if key.project_id not in actor.project_ids:
        return False
    if actor.role == Role.manager:
        return key.owner_id is None or team_of(session, key.owner_id) == actor.team_id
    return actor.role == Role.director


def history_key(session: Session, actor, customer_id) -> CustomerKey:
    """The customer whose history (arrivals, rulings) the actor asks for, or NotFound."""
    from contracts.errors import NotFound, parse_id

    wanted = parse_id(customer_id, "customer_id")
    key = session.get(CustomerKey, wanted)
    if key is None or key.company_id != actor.company_id or not may_see_history(
            session, actor, key):
        raise NotFound("no such customer", "customer_id")
    return key
