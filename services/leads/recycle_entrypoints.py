"""Recycling (回收): the tasks service's clock says a customer made no progress for too long;
the leads service releases it to the pool unless a channel's deal protection holds it."""

from __future__ import annotations

import uuid

from contracts import tasks
from contracts.envelope import Envelope
from kit import clock
from kit.inbox import handles
from kit.service import Worker
from services.leads import pool, registrations, ruling, store


class Recycling(Worker):
    """Mixin of LeadsService."""

    @handles(tasks.SERVICE, tasks.RECYCLE_DUE)
    def on_recycle_due(self, session, env: Envelope) -> None:
        alert = tasks.Alert.model_validate(env.payload)
        key = session.get(store.CustomerKey, alert.customer_id, with_for_update=True)
        if key is None or key.owner_id is None or key.owner_id != alert.owner_id:
            return  # the owner changed meanwhile: the clock's view is stale
        now = clock.now()
        held = [r for r in registrations.for_person(session, key.company_id, key.phone_index, key)
                if r.visited_at is not None and ruling.is_protected(r, now)]
        if held:
            until = max(ruling.protected_until(r) for r in held)
            session.add(store.PoolAction(
                id=uuid.uuid4(), company_id=key.company_id,
                project_id=key.project_id, customer_id=key.customer_id, action="recycle_kept",
                actor_id=None, owner_id=key.owner_id, previous_owner_id=None,
                reason=f"{alert.reason}; kept: channel deal protection until "
                       f"{clock.to_local(until):%Y-%m-%d}", at=now))
            return
        pool.give_back(session, key, action="recycle", by=None,
                       reason=f"recycled: {alert.reason}")
