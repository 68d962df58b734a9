"""Queries of the privacy audit (pii_audit): a filtered page of its rows, the data-subject
requests it records (its rows grouped by request id), and the names to show with them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts.customers import AuditQuery, SubjectRequestQuery
from services.customers import audit, store

A = store.PiiAudit


def audit_page(session: Session, company_id: uuid.UUID, q: AuditQuery,
               start: datetime | None, end: datetime | None) -> tuple[int, list]:
    """The company's audit rows matching `q`, newest first (ties by id: a stable order
    across pages), and how many match in all."""
    stmt = select(A).where(A.company_id == company_id)
    if q.action:
        stmt = stmt.where(A.action == q.action.value)
    if q.actor_id:
        stmt = stmt.where(A.actor_id == q.actor_id)
    if q.customer_id:
        stmt = stmt.where(A.customer_id == q.customer_id)
    if start:
        stmt = stmt.where(A.at >= start)
    if end:
        stmt = stmt.where(A.at < end)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(session.scalars(stmt.order_by(A.at.desc(), A.id.desc())
                                .offset((q.page - 1) * q.page_size).limit(q.page_size)))
    return total or 0, rows


def request_page(session: Session, company_id: uuid.UUID, q: SubjectRequestQuery
                 ) -> tuple[int, list[audit.RequestRow]]:
    """The company's data-subject requests, newest first, from their audit rows."""
    actions = [a for a, kind in audit.DSAR_KINDS.items() if q.kind in (None, kind)]
    request_id = func.substring(A.reason, audit.REQUEST_ID_SQL).label("request_id")
    grouped = (select(request_id, A.action, A.actor_id, func.min(A.at).label("at"),
                      func.array_agg(A.customer_id).label("customer_ids"),
                      func.min(A.reason).label("reason"))
               .where(A.company_id == company_id, A.action.in_(actions),
                      request_id.is_not(None))
               .group_by(request_id, A.action, A.actor_id).subquery())
    total = session.scalar(select(func.count()).select_from(grouped))
    rows = session.execute(select(grouped).order_by(grouped.c.at.desc(),
                                                    grouped.c.request_id.desc())
                           .offset((q.page - 1) * q.page_size).limit(q.page_size))
    return total or 0, [audit.RequestRow(request_id=r.request_id, action=r.action,
                                         actor_id=r.actor_id, at=r.at,
                                         customer_ids=list(r.customer_ids), reason=r.reason)
                        for r in rows]


def user_names(session: Session, user_ids) -> dict[uuid.UUID, str]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    return dict(session.execute(select(store.Users.c.id, store.Users.c.name)
                                .where(store.Users.c.id.in_(wanted))).tuples().all())


def customer_names(session: Session, company_id: uuid.UUID, customer_ids
                   ) -> dict[uuid.UUID, str]:
    wanted = list(set(customer_ids))
    if not wanted:
        return {}
    C = store.Customer
    return dict(session.execute(select(C.id, C.name).where(
        C.company_id == company_id, C.id.in_(wanted))).tuples().all())
