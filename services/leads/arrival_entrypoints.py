"""A customer's arrivals: every lead that named them, duplicates included (who entered it,
through which channel, when, and where it was assigned and why)."""

from __future__ import annotations

from sqlalchemy import select

from contracts.actor import Role
from kit.service import Worker, rpc
from services.leads import pool, store


class Arrivals(Worker):
    """Mixin of LeadsService."""

    @rpc
    def arrivals(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token, Role.consultant, Role.manager, Role.director,
                                Role.admin)
        key = pool.history_key(self.db, actor, customer_id)
        rows = self.db.scalars(select(store.Lead).where(store.Lead.customer_id == key.customer_id)
                               .order_by(store.Lead.created_at))
        return {"items": [{
            "lead_id": str(r.id), "status": r.status, "channel": r.channel,
            "sub_source": r.sub_source, "source": r.source, "grade": r.grade,
            "created_by": str(r.created_by), "created_at": r.created_at.isoformat(),
            "owner_id": str(r.owner_id) if r.owner_id else None,
            "assignment_strategy": r.assignment_strategy,
            "assignment_reason": r.assignment_reason,
            "agent_id": str(r.agent_id) if r.agent_id else None} for r in rows]}
