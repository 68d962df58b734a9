"""Customers handed to another owner (离职交接, 批量转移), a batch at a time: every profile
follows its new owner (unless a newer ownership change is here already, as for any change)
and its history says who moved it, from whom, to whom and why."""

from __future__ import annotations

import uuid

from psycopg.types.json import Jsonb
from sqlalchemy import func, select, text

from contracts import handover as h
from contracts import leads
from contracts.envelope import Envelope
from kit.db import copy_rows
from kit.inbox import handles
from services.customers import store
from services.customers.access import CustomersBase

POOL = "公海"


class CustomersNotYetCreated(LookupError):
    """Some profile of the batch does not exist yet (its lead.created is on another queue):
    the batch is requeued and applied once they do."""


class Handovers(CustomersBase):
    """Mixin of CustomersService."""

    @handles(leads.SERVICE, h.CUSTOMERS_HANDED_OVER)
    def on_customers_handed_over(self, session, env: Envelope) -> None:
        batch = h.HandedOver.model_validate(env.payload)
        ids = [m.customer_id for m in batch.moves]
        known = session.scalar(select(func.count()).select_from(store.Customer).where(
            store.Customer.id.in_(ids)))
        if known < len(set(ids)):
            raise CustomersNotYetCreated(str(batch.handover_id))
        session.execute(_FOLLOW, {
            "ids": ids, "owners": [m.owner_id for m in batch.moves],
            "revisions": [m.owner_revision for m in batch.moves], "at": batch.at})
        u = store.Users.c
        people = {p for m in batch.moves for p in (m.owner_id, m.previous_owner_id) if p}
        names = dict(session.execute(select(u.id, u.name).where(u.id.in_(people))).all())
        copy_rows(session, store.History.__table__, [dict(
            id=uuid.uuid4(), company_id=batch.company_id, customer_id=m.customer_id,
            actor_id=batch.by, at=batch.at, changes=Jsonb({
                "owner_id": [str(m.previous_owner_id), _text(m.owner_id)],
                "owner": [names.get(m.previous_owner_id),
                          names.get(m.owner_id) if m.owner_id else POOL],
                "reason": batch.reason, "action": batch.action,
                "handover_id": str(batch.handover_id)})) for m in batch.moves])


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


# The owner follows the leads service's decision unless a newer one arrived first (the rule
# of CustomersService._follow_owner, for a whole batch).
_FOLLOW = text("""
    UPDATE customers.customers AS c SET owner_id = m.owner_id,
        owner_revision = m.owner_revision, updated_at = :at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:owners AS uuid[]), CAST(:revisions AS int[]))
        AS m(customer_id, owner_id, owner_revision)
    WHERE c.id = m.customer_id AND c.owner_revision < m.owner_revision""")
