"""Merging two records of one person (duplicates found later, e.g. one person with two
phones): everything moves to the survivor, the merge is recorded with what moved, and other
services follow by the customer.merged event."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from contracts import customers as c
from contracts.errors import Forbidden, NotFound, ValidationFailed, parse
from kit import clock
from kit.service import rpc
from services.customers import privacy, privacy_store, project_setup, store
from services.customers.access import CustomersBase


def _merge_view(row: store.Merge) -> dict:
    return {"id": str(row.id), "survivor_id": str(row.survivor_id),
            "merged_id": str(row.merged_id), "actor_id": str(row.actor_id),
            "reason": row.reason, "summary": row.summary, "at": row.at.isoformat()}


class Merges(CustomersBase):
    """Mixin of CustomersService."""

    def _in_scope(self, actor, customer_id, field: str) -> store.Customer:
        try:
            return self._visible(actor, customer_id, lock=True)
        except (NotFound, ValidationFailed) as exc:
            raise type(exc)(exc.message, field) from None

    @rpc
    def merge(self, token: str, request: dict) -> dict:
        actor = self.keys.actor(token)
        if not privacy.may_merge(actor):
            raise Forbidden("merging customers needs a manager, director or admin")
        wanted = parse(c.MergeRequest, request)
        privacy.check_reason(wanted.reason)
        if wanted.survivor_id == wanted.merged_id:
            raise ValidationFailed("a customer cannot be merged into itself", "merged_id")
        # Lock both in one order, so two opposite merges cannot deadlock.
        pair = sorted([(wanted.survivor_id, "survivor_id"), (wanted.merged_id, "merged_id")])
        rows = {field: self._in_scope(actor, wanted_id, field) for wanted_id, field in pair}
        survivor, merged = rows["survivor_id"], rows["merged_id"]
        refusal = privacy.merge_refusal(survivor, merged)
        if refusal is not None:
            raise refusal
        if privacy.already_merged(survivor, merged):   # a repeated request
            done = self.db.scalars(select(store.Merge).where(
                store.Merge.survivor_id == survivor.id, store.Merge.merged_id == merged.id)
                .order_by(store.Merge.at.desc())).first()
            self.db.rollback()
            if done is not None:
                return {**_merge_view(done), "created": False}
            raise NotFound("no record of this merge", "merged_id")
        now = clock.now()
        moved = privacy_store.move_to_survivor(self.db, survivor, merged)
        portrait, filled = privacy.filled_portrait(survivor.portrait, merged.portrait)
        if survivor.wechat_enc is None and merged.wechat_enc is not None:
            survivor.wechat_enc = merged.wechat_enc
            filled.append("wechat")
        survivor.portrait = portrait
        # One opt-out of the person holds for the merged record (Art. 24: stay on the safe side).
        if merged.marketing_opt_out and not survivor.marketing_opt_out:
            privacy_store.record_marketing_choice(
                self.db, survivor, opt_out=True, actor_id=actor.user_id, recorded_by=None,
                evidence=None, consent=False,
                extra={"opt_out_via": [None, f"merge of {merged.id}"]})
        survivor.last_followup_at = max(
            (t for t in (survivor.last_followup_at, merged.last_followup_at) if t), default=None)
        self.db.flush()
        tags = self._tags_of([survivor.id]).get(survivor.id, {})
        survivor.completeness = project_setup.score_of(survivor, tags,
                                            self._setup(survivor.project_id)).percent
        survivor.version, survivor.updated_at = survivor.version + 1, now
        merged.merged_into, merged.version, merged.updated_at = survivor.id, merged.version + 1, now
        record = store.Merge(id=uuid.uuid4(), company_id=survivor.company_id,
                             survivor_id=survivor.id, merged_id=merged.id,
                             actor_id=actor.user_id, reason=wanted.reason,
                             summary=privacy.merge_summary(moved, filled, survivor, merged),
                             at=now)
        self.db.add(record)
        for own, other, key in ((survivor, merged, "merged"), (merged, survivor, "merged_into")):
            self.db.add(store.History(id=uuid.uuid4(), company_id=own.company_id,
                                      customer_id=own.id, actor_id=actor.user_id, at=now,
                                      changes={key: [None, str(other.id)]}))
        self.emit(c.CUSTOMER_MERGED, c.CustomerMerged(
            merge_id=record.id, company_id=survivor.company_id, survivor_id=survivor.id,
            merged_id=merged.id, survivor_owner_id=survivor.owner_id,
            survivor_project_id=survivor.project_id, actor_id=actor.user_id, at=now))
        self.db.commit()
        return {**_merge_view(record), "created": True}

    @rpc
    def merges(self, token: str, customer_id: str) -> dict:
        """Why this record looks as it does: the merges it took part in, with what moved."""
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = self.db.scalars(select(store.Merge).where(or_(
            store.Merge.survivor_id == customer.id, store.Merge.merged_id == customer.id))
            .order_by(store.Merge.at))
        return {"customer_id": str(customer.id),
                "merged_into": str(customer.merged_into) if customer.merged_into else None,
                "items": [_merge_view(r) for r in rows]}
