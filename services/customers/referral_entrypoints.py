"""Referrals (老带新): who referred a customer, and the referrer's reward, which follows the
referred customer's stage through the service's own customer.stage_changed events."""

from __future__ import annotations

import uuid

from sqlalchemy import func, literal, select

from contracts import customers as c
from contracts.envelope import Envelope
from contracts.errors import ValidationFailed, parse
from kit import clock
from kit.inbox import handles
from kit.scope import visibility
from kit.service import rpc
from services.customers import referral, store
from services.customers.access import CustomersBase, marketing_view
from services.customers.audit import masked_name

C = store.Customer
MAX_CHAIN = 1000


class Referrals(CustomersBase):
    """Mixin of CustomersService."""

    def _referrers_chain(self, start: uuid.UUID) -> list[uuid.UUID]:
        """`start`, who referred it, who referred that one, ... (bounded)."""
        chain = select(C.id, C.referrer_id, literal(1).label("depth")).where(
            C.id == start).cte("chain", recursive=True)
        chain = chain.union_all(
            select(C.id, C.referrer_id, chain.c.depth + 1)
            .join(chain, C.id == chain.c.referrer_id).where(chain.c.depth < MAX_CHAIN))
        return list(self.db.scalars(select(chain.c.id)))

    @rpc
    def set_referrer(self, token: str, customer_id: str, change: dict) -> dict:
        actor, customer = self._workable(token, customer_id)
        wanted = parse(c.ReferrerChange, change)
        before = customer.referrer_id
        if wanted.referrer_id == before:
            self.db.rollback()
            return marketing_view(customer)
        if wanted.referrer_id is None:
            customer.referrer_id, customer.referral_reward = None, None
        else:
            # One referral change per company at a time: two opposite ones (A by B, B by A)
            # made at once cannot both pass the cycle check.
            self.db.execute(select(func.pg_advisory_xact_lock(
                func.hashtext(f"customers:referrals:{customer.company_id}"))))
            referrer = self.db.get(C, wanted.referrer_id)
            if referrer is None or referrer.company_id != customer.company_id \
                    or referrer.erased_at is not None or referrer.merged_into is not None:
                raise ValidationFailed("no such customer in your company", "referrer_id")
            referral.check_referrer(customer.id, referrer.id,
                                    self._referrers_chain(referrer.id))
            customer.referrer_id = referrer.id
            customer.referral_reward = referral.reward(c.Stage(customer.stage)).value
        now = clock.now()
        customer.updated_at = now
        self.db.add(store.History(
            id=uuid.uuid4(), company_id=customer.company_id, customer_id=customer.id,
            actor_id=actor.user_id, at=now, changes={"referrer_id": [
                str(before) if before else None,
                str(customer.referrer_id) if customer.referrer_id else None]}))
        self.db.commit()
        return marketing_view(customer)

    @rpc
    def referrals(self, token: str, customer_id: str) -> dict:
        """Whom the customer referred, each with the referrer's reward. A referred customer
        outside your scope shows with a masked name."""
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = list(self.db.scalars(select(C).where(
            C.referrer_id == customer.id, C.merged_into.is_(None))
            .order_by(C.created_at, C.id).limit(1000)))
        seen = set(self.db.scalars(store.scoped(select(C.id), visibility(actor)).where(
            C.referrer_id == customer.id)))
        setups = self._setups({row.project_id for row in rows})
        items = []
        for row in rows:
            shown = row.id in seen and row.erased_at is None
            stage = c.Stage(row.stage)
            items.append({"customer_id": str(row.id),
                          "name": row.name if shown else masked_name(row.name),
                          "name_masked": not shown, "stage": stage.value,
                          "stage_label": setups[row.project_id].label(stage),
                          "referral_reward": row.referral_reward,
                          "created_at": row.created_at.isoformat()})
        rewards = {r.value: 0 for r in c.ReferralReward}
        for item in items:
            rewards[item["referral_reward"] or c.ReferralReward.none.value] += 1
        return {"customer_id": str(customer.id), "items": items, "rewards": rewards}

    @handles(c.SERVICE, c.CUSTOMER_STAGE_CHANGED)
    def on_stage_changed_for_referral(self, session, env: Envelope) -> None:
        """The referrer's reward follows the referred customer's stage. Taken from the
        customer's stage as it is now, not the event's, so events arriving out of order
        (a requeue) still leave the right status."""
        moved = c.StageChanged.model_validate(env.payload)
        customer = session.scalars(select(C).where(
            C.id == moved.customer_id).with_for_update()).first()
        if customer is None or customer.referrer_id is None:
            return
        now_due = referral.reward(c.Stage(customer.stage)).value
        if customer.referral_reward == now_due:
            return
        session.add(store.History(
            id=uuid.uuid4(), company_id=customer.company_id, customer_id=customer.id,
            actor_id=moved.actor_id, at=clock.now(),
            changes={"referral_reward": [customer.referral_reward, now_due]}))
        customer.referral_reward = now_due
