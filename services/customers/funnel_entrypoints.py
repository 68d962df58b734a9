"""The funnel and the follow-up log: stage moves along allowed transitions, and logged
contacts (calls, WeChat, visits, viewings). Both are facts other services react to."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from contracts import customers as c
from contracts.errors import ValidationFailed, parse
from kit import clock
from kit.service import rpc
from services.customers import domain, store
from services.customers.access import CustomersBase


class Funnel(CustomersBase):
    """Mixin of CustomersService."""

    @rpc
    def change_stage(self, token: str, customer_id: str, move: dict) -> dict:
        actor, customer = self._workable(token, customer_id)
        wanted = parse(c.StageMove, move)
        current = c.Stage(customer.stage)
        setup = self._setup(customer.project_id)
        if current == wanted.stage:
            return self._customer_view(customer, actor, setup)  # a retried move
        domain.check_move(current, wanted, setup)
        now = clock.now()
        entered = customer.stage_entered_at or customer.created_at
        seconds = max(0, int((now - entered).total_seconds()))
        customer.stage, customer.stage_entered_at = wanted.stage.value, now
        customer.updated_at, customer.version = now, customer.version + 1
        if wanted.stage == c.Stage.signed:
            customer.deal_amount, customer.deal_unit = wanted.deal_amount, wanted.unit
        if wanted.stage == c.Stage.lost:
            customer.lost_reason = wanted.reason
        self.db.add(store.StageChange(
            id=uuid.uuid4(), company_id=customer.company_id, customer_id=customer.id,
            from_stage=current.value, to_stage=wanted.stage.value, seconds_in_previous=seconds,
            actor_id=actor.user_id, at=now, reason=wanted.reason,
            deal_amount=wanted.deal_amount, unit=wanted.unit))
        self.emit(c.CUSTOMER_STAGE_CHANGED, c.StageChanged(
            customer_id=customer.id, company_id=customer.company_id,
            project_id=customer.project_id, owner_id=customer.owner_id, from_stage=current,
            to_stage=wanted.stage, seconds_in_previous=seconds, actor_id=actor.user_id,
            at=now, reason=wanted.reason, deal_amount=wanted.deal_amount, unit=wanted.unit))
        self.db.commit()
        return self._customer_view(customer, actor, setup)

    @rpc
    def stage_history(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        setup = self._setup(customer.project_id)
        rows = self.db.scalars(select(store.StageChange).where(
            store.StageChange.customer_id == customer.id).order_by(store.StageChange.at))
        return {"items": [{"from": r.from_stage, "to": r.to_stage,
                           "from_label": setup.label(c.Stage(r.from_stage)),
                           "to_label": setup.label(c.Stage(r.to_stage)),
                           "seconds_in_previous": r.seconds_in_previous,
                           "actor_id": str(r.actor_id), "at": r.at.isoformat(),
                           "reason": r.reason, "deal_amount": r.deal_amount, "unit": r.unit}
                          for r in rows]}

    @rpc
    def log_followup(self, token: str, customer_id: str, followup: dict) -> dict:
        actor, customer = self._workable(token, customer_id)
        new = parse(c.NewFollowup, followup)
        now = clock.now()
        if new.next_contact_at is not None and new.next_contact_at <= now:
            raise ValidationFailed("the next contact must be in the future", "next_contact_at")
        if new.units and new.type != c.FollowupType.viewing:
            raise ValidationFailed("units shown belong to a viewing (带看)", "units")
        followup_id = uuid.uuid4()
        stored = self.db.execute(insert(store.Followup).values(
            id=followup_id, company_id=customer.company_id, customer_id=customer.id,
            actor_id=actor.user_id, type=new.type.value, content=new.content,
            outcome=new.outcome, next_contact_at=new.next_contact_at, units=new.units,
            client_id=new.client_id, at=now,
        ).on_conflict_do_nothing().returning(store.Followup.id)).first()
        if stored is None:  # the same client_id again: answer what was logged
            self.db.rollback()
            row = self.db.scalars(select(store.Followup).where(
                store.Followup.customer_id == customer.id,
                store.Followup.client_id == new.client_id)).one()
            return _followup_view(row)
        customer.last_followup_at, customer.updated_at = now, now
        if new.next_contact_at is not None:
            customer.next_contact_at = new.next_contact_at
        self.emit(c.FOLLOWUP_LOGGED, c.FollowupLogged(
            followup_id=followup_id, customer_id=customer.id, company_id=customer.company_id,
            project_id=customer.project_id, owner_id=customer.owner_id,
            actor_id=actor.user_id, type=new.type, at=now,
            next_contact_at=new.next_contact_at))
        self.db.commit()
        return _followup_view(self.db.get_one(store.Followup, followup_id))

    @rpc
    def viewings(self, token: str, customer_id: str) -> dict:
        """The customer's viewing track (看房轨迹), oldest first."""
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = list(self.db.scalars(select(store.Followup).where(
            store.Followup.customer_id == customer.id,
            store.Followup.type == c.FollowupType.viewing.value)
            .order_by(store.Followup.at, store.Followup.id).limit(500)))
        return {"customer_id": str(customer.id), **viewing_track(rows)}

    @rpc
    def followups(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = self.db.scalars(select(store.Followup).where(
            store.Followup.customer_id == customer.id).order_by(store.Followup.at.desc())
            .limit(200))
        return {"items": [_followup_view(r) for r in rows]}


def viewing_track(viewings: list[store.Followup]) -> dict:
    """看房轨迹: the viewings in order, and each unit or layout shown with how often and
    when first and last (oldest first)."""
    units: dict[str, dict] = {}
    for row in viewings:
        for unit in row.units or []:
            seen = units.setdefault(unit, {"unit": unit, "times": 0,
                                           "first_at": row.at.isoformat()})
            seen["times"] += 1
            seen["last_at"] = row.at.isoformat()
    return {"viewings": [_followup_view(r) for r in viewings], "units": list(units.values())}


def _followup_view(row: store.Followup) -> dict:
    return {"id": str(row.id), "type": row.type, "content": row.content,
            "outcome": row.outcome, "units": list(row.units or []),
            "next_contact_at": row.next_contact_at.isoformat() if row.next_contact_at else None,
            "actor_id": str(row.actor_id), "at": row.at.isoformat()}
