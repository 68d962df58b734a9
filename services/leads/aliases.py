"""A customer's extra phones (aliases) in the leads schema: added and removed as the
customers service announces them. Each change holds the phone's person lock, so a lead of
the same phone arriving at that moment is decided either before or after it. The caller
commits."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts.common import EncryptedPhone
from kit import clock
from kit.db import rowcount
from services.leads import registrations, store

log = logging.getLogger(__name__)
A = store.PhoneAlias


def add(session: Session, *, phone_id: uuid.UUID, customer_id: uuid.UUID,
        company_id: uuid.UUID, phone: EncryptedPhone, at: datetime) -> bool:
    """Let this phone lead to the customer; False when it does not (already so, or the
    phone is another customer's). Repeating it changes nothing."""
    registrations.lock_phone(session, company_id, phone.index)
    if session.get(store.RemovedPhone, phone_id) is not None:
        return False   # its removal overtook it
    own = session.scalars(select(store.CustomerKey).where(
        store.CustomerKey.company_id == company_id,
        store.CustomerKey.phone_index == phone.index)).first()
    if own is not None:
        if _survivor(session, own.customer_id) != _survivor(session, customer_id):
            # The customers service refuses such an add; this is a lead of the phone that
            # arrived between its check and this event.
            log.warning("phone %s of customer %s is customer %s's own phone: not aliased",
                        phone_id, customer_id, own.customer_id)
        return False
    same = session.get(A, phone_id)
    if same is not None and same.phone_index == phone.index:
        return False
    if same is not None:            # the number of this phone changed
        session.delete(same)
        session.flush()
    # A removal of an earlier phone with this number that has not arrived yet: this one
    # takes its place (that removal then finds no row of its phone id).
    taken = session.execute(
        insert(A).values(phone_id=phone_id, company_id=company_id, phone_index=phone.index,
                         customer_id=customer_id, phone_masked=phone.masked, created_at=at)
        .on_conflict_do_update(index_elements=["company_id", "phone_index"],
                               set_={"phone_id": phone_id, "phone_masked": phone.masked,
                                     "created_at": at},
                               where=A.customer_id == customer_id)
        .returning(A.phone_id)).first()
    if taken is None:
        holder = session.scalars(select(A.customer_id).where(
            A.company_id == company_id, A.phone_index == phone.index)).first()
        log.warning("phone %s of customer %s is already an extra phone of customer %s: "
                    "not aliased", phone_id, customer_id, holder)
        return False
    return True


def _survivor(session: Session, customer_id: uuid.UUID) -> uuid.UUID:
    key = store.survivor_key(session, session.get(store.CustomerKey, customer_id))
    return key.customer_id if key is not None else customer_id


def remove(session: Session, *, phone_id: uuid.UUID, company_id: uuid.UUID,
           phone_index: str) -> bool:
    """The phone no longer leads to its customer. Only this phone's alias goes."""
    registrations.lock_phone(session, company_id, phone_index)
    session.execute(insert(store.RemovedPhone).values(phone_id=phone_id, removed_at=clock.now())
                    .on_conflict_do_nothing())
    return rowcount(session.execute(delete(A).where(A.company_id == company_id,
                                           A.phone_id == phone_id))) > 0
