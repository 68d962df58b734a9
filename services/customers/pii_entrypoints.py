"""Consent records (PIPL) and the audited bulk export of customers."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select

from contracts import customers as c
from contracts.errors import Conflict, Forbidden, parse
from kit import clock
from kit.scope import visibility
from kit.service import rpc
from services.customers import privacy, store
from services.customers.access import CustomersBase
from services.customers.privacy_store import record_marketing_choice


def _consent_view(row: store.Consent) -> dict:
    return {"id": str(row.id), "customer_id": str(row.customer_id), "purpose": row.purpose,
            "granted": row.granted, "channel": row.channel, "evidence": row.evidence,
            "recorded_by": str(row.recorded_by) if row.recorded_by else None,
            "at": row.at.isoformat()}


def refuse_if_gone(customer: store.Customer) -> None:
    """Erased and merged-away records take no new facts."""
    if customer.erased_at is not None:
        raise Conflict("this customer's personal data was erased", "customer_id")
    if customer.merged_into is not None:
        raise Conflict(f"this customer was merged into {customer.merged_into}; use that one",
                       "customer_id", {"merged_into": str(customer.merged_into)})


class PersonalData(CustomersBase):
    """Mixin of CustomersService."""

    @rpc
    def record_consent(self, token: str, customer_id: str, consent: dict) -> dict:
        actor, customer = self._workable(token, customer_id)
        new = parse(c.NewConsent, consent)
        refuse_if_gone(customer)
        now = clock.now()
        row = store.Consent(id=uuid.uuid4(), company_id=customer.company_id,
                            customer_id=customer.id, purpose=new.purpose.value,
                            granted=new.granted, channel=new.channel.value,
                            evidence=new.evidence, recorded_by=actor.user_id, at=now)
        self.db.add(row)
        record_marketing_choice(
            self.db, customer, opt_out=privacy.opt_out_after(new, bool(customer.marketing_opt_out)),
            actor_id=actor.user_id, recorded_by=actor.user_id, channel=new.channel,
            evidence=new.evidence, consent=False)   # the consent row is this one
        self.db.commit()
        return {"consent": _consent_view(row),
                "marketing_opt_out": bool(customer.marketing_opt_out)}

    @rpc
    def consents(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = self.db.scalars(select(store.Consent).where(
            store.Consent.customer_id == customer.id)
            .order_by(store.Consent.at.desc(), store.Consent.id))
        return {"customer_id": str(customer.id),
                "marketing_opt_out": bool(customer.marketing_opt_out),
                "items": [_consent_view(r) for r in rows]}

    @rpc
    def export_customers(self, token: str, query: dict | None = None) -> dict:
        """Customers in the caller's scope as rows, phones masked unless the caller holds
        pii:reveal; every exported customer gets an audit row naming the export."""
        actor = self.keys.actor(token)
        if not privacy.may_export(actor):
            raise Forbidden("exporting customers needs a manager, director or admin")
        q = parse(c.ExportQuery, query)
        privacy.check_reason(q.reason)
        C = store.Customer
        stmt = store.scoped(select(C), visibility(actor)).where(
            C.erased_at.is_(None), C.merged_into.is_(None))
        if q.stage:
            stmt = stmt.where(C.stage == q.stage.value)
        if q.project_id:
            stmt = stmt.where(C.project_id == q.project_id)
        if q.owner_id:
            stmt = stmt.where(C.owner_id == q.owner_id)
        if q.q:
            stmt = stmt.where(C.name.contains(q.q, autoescape=True))
        if q.tag:
            dimension, _, value = q.tag.partition(":")
            stmt = stmt.where(C.id.in_(select(store.CustomerTag.customer_id).where(
                store.CustomerTag.dimension == dimension, store.CustomerTag.value == value)))
        rows = list(self.db.scalars(stmt.order_by(C.created_at.desc(), C.id).limit(q.limit)))
        reveal = actor.has_scope("pii:reveal")
        export_id, now = uuid.uuid4(), clock.now()
        note = (f"{q.reason} [export {export_id}: {len(rows)} customers, phones "
                f"{'revealed' if reveal else 'masked'}]")
        if rows:
            self.db.execute(insert(store.PiiAudit), [
                {"id": uuid.uuid4(), "company_id": actor.company_id, "actor_id": actor.user_id,
                 "customer_id": row.id, "action": "export", "reason": note, "at": now}
                for row in rows])
        self.db.commit()
        tags = self._tags_of([row.id for row in rows])
        open_phone = self.keys.vault.open_phone
        return {"export_id": str(export_id), "count": len(rows), "phones_revealed": reveal,
                "exported_at": now.isoformat(),
                "items": [privacy.export_row(row, reveal, open_phone, tags.get(row.id))
                          for row in rows]}
