"""Privacy queries over the customers schema: one person's records, their copy (Art. 45),
their erasure (Art. 47), and what a merge moves. The caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts.customers import (
    CUSTOMER_MARKETING_CHANGED,
    CUSTOMER_PHONE_ADDED,
    CUSTOMER_PHONE_REMOVED,
    SERVICE,
    STAGE_LABELS,
    ConsentChannel,
    ConsentPurpose,
    MarketingChanged,
    Stage,
)
from kit import clock, outbox, phones
from kit.crypto import Vault
from kit.db import rowcount
from kit.privacy import ERASED_NAME, erased_marker
from services.customers import privacy, store

C = store.Customer


def person_records(session: Session, company_id: uuid.UUID, seeds: set[uuid.UUID],
                   lock: bool = False) -> list[store.Customer]:
    """Every customer record of the person the seeds name: merged ones and survivors too."""
    loaded: dict[uuid.UUID, store.Customer] = {}
    seen: set[uuid.UUID] = set()
    frontier = set(seeds)
    while frontier:
        seen |= frontier
        stmt = select(C).where(C.company_id == company_id,
                               or_(C.id.in_(frontier), C.merged_into.in_(frontier)))
        found = list(session.scalars(stmt.order_by(C.id).with_for_update() if lock else stmt))
        loaded.update({r.id: r for r in found})
        frontier = ({r.id for r in found} | {r.merged_into for r in found if r.merged_into}
                    ) - seen
    keep = privacy.person_closure({r.id: r.merged_into for r in loaded.values()}, seeds)
    return sorted((loaded[i] for i in keep), key=lambda r: r.created_at)


def by_phone_index(session: Session, company_id: uuid.UUID, index: str) -> set[uuid.UUID]:
    """The records whose phone, primary or extra, has this blind index."""
    P = store.CustomerPhone
    return set(session.scalars(select(C.id).where(C.company_id == company_id,
                                                  C.phone_index == index))) | set(
        session.scalars(select(P.customer_id).where(P.company_id == company_id,
                                                    P.phone_index == index)))


def extra_phone_indexes(session: Session, customer_ids: list[uuid.UUID]) -> list[str]:
    P = store.CustomerPhone
    return list(session.scalars(select(P.phone_index).where(P.customer_id.in_(customer_ids))))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _open(vault: Vault, sealed: str | None, context: str) -> str | None:
    if not sealed:
        return None
    try:
        value = vault.decrypt(sealed, context)
    except ValueError:
        return None
    return (phones.national(value) if context == "phone" else value) or None


def person_data(session: Session, vault: Vault, rows: list[store.Customer]) -> dict:
    """Everything this service holds on the person, phones decrypted (it is their own data)."""
    ids = [r.id for r in rows]

    def each(model, column, order):
        return list(session.scalars(select(model).where(column.in_(ids)).order_by(order)))

    tags = each(store.CustomerTag, store.CustomerTag.customer_id, store.CustomerTag.dimension)
    return {
        "profiles": [{
            "id": str(r.id), "project_id": str(r.project_id), "name": r.name,
            "phone": _open(vault, r.phone_enc, "phone"),
            "wechat": _open(vault, r.wechat_enc, "wechat"),
            "portrait": dict(r.portrait or {}), "stage": r.stage,
            "stage_label": STAGE_LABELS[Stage(r.stage)], "channel": r.channel,
            "owner_id": str(r.owner_id) if r.owner_id else None,
            "referrer_id": str(r.referrer_id) if r.referrer_id else None,
            "deal_amount": r.deal_amount, "deal_unit": r.deal_unit,
            "lost_reason": r.lost_reason, "marketing_opt_out": bool(r.marketing_opt_out),
            "created_at": _iso(r.created_at), "updated_at": _iso(r.updated_at),
            "merged_into": str(r.merged_into) if r.merged_into else None,
            "erased_at": _iso(r.erased_at)} for r in rows],
        "tags": [{"customer_id": str(t.customer_id), "dimension": t.dimension,
                  "value": t.value} for t in tags],
        "phones": [{"customer_id": str(p.customer_id), "label": p.label,
                    "phone": _open(vault, p.phone_enc, "phone"), "added_at": _iso(p.added_at)}
                   for p in each(store.CustomerPhone, store.CustomerPhone.customer_id,
                                 store.CustomerPhone.added_at)],
        "followups": [{
            "customer_id": str(f.customer_id), "type": f.type, "content": f.content,
            "outcome": f.outcome, "units": list(f.units or []), "at": _iso(f.at),
            "next_contact_at": _iso(f.next_contact_at), "actor_id": str(f.actor_id)}
            for f in each(store.Followup, store.Followup.customer_id, store.Followup.at)],
        "stage_changes": [{
            "customer_id": str(s.customer_id), "from": s.from_stage, "to": s.to_stage,
            "at": _iso(s.at), "reason": s.reason, "deal_amount": s.deal_amount, "unit": s.unit,
            "actor_id": str(s.actor_id)}
            for s in each(store.StageChange, store.StageChange.customer_id, store.StageChange.at)],
        "consents": [{
            "customer_id": str(x.customer_id), "purpose": x.purpose, "granted": x.granted,
            "channel": x.channel, "evidence": x.evidence, "at": _iso(x.at)}
            for x in each(store.Consent, store.Consent.customer_id, store.Consent.at)],
        "history": [{"customer_id": str(h.customer_id), "at": _iso(h.at),
                     "actor_id": str(h.actor_id), "changes": h.changes}
                    for h in each(store.History, store.History.customer_id, store.History.at)],
        "attachments": [{
            "customer_id": str(a.customer_id), "filename": a.filename,
            "content_type": a.content_type, "size": a.size, "at": _iso(a.at)}
            for a in each(store.Attachment, store.Attachment.customer_id, store.Attachment.at)],
        "merges": [{"survivor_id": str(m.survivor_id), "merged_id": str(m.merged_id),
                    "reason": m.reason, "at": _iso(m.at)}
                   for m in list(session.scalars(select(store.Merge).where(or_(
                       store.Merge.survivor_id.in_(ids), store.Merge.merged_id.in_(ids)))
                       .order_by(store.Merge.at)))],
        # Who opened, exported or revealed their data (Art. 45: how it was processed).
        "access_log": [{"customer_id": str(p.customer_id), "action": p.action,
                        "actor_id": str(p.actor_id), "at": _iso(p.at)}
                       for p in each(store.PiiAudit, store.PiiAudit.customer_id,
                                     store.PiiAudit.at)],
    }


def erase(session: Session, vault: Vault, rows: list[store.Customer], now: datetime
          ) -> tuple[list[str], list[str]]:
    """Anonymise the records (kept for the statistics: stage, channel, project, dates, deal
    amount) and remove every personal detail around them. Returns the storage keys of their
    attachments (the caller deletes the files after commit) and the names they had."""
    ids = [r.id for r in rows]
    names = sorted({r.name for r in rows if r.erased_at is None and r.name != ERASED_NAME})
    blank_phone = vault.encrypt("", "phone")   # decrypts to nothing: no phone is in it
    for r in rows:
        if r.erased_at is None:
            r.version += 1
            r.erased_at = now
        r.name, r.phone_enc, r.phone_index = ERASED_NAME, blank_phone, erased_marker(r.id)
        r.phone_masked, r.wechat_enc, r.portrait = privacy.ERASED_MASK, None, {}
        r.completeness, r.lost_reason, r.deal_unit, r.next_contact_at = 0, None, None, None
        r.marketing_opt_out, r.opted_out_at = True, r.opted_out_at or now
        r.updated_at = now
    session.execute(delete(store.CustomerTag).where(store.CustomerTag.customer_id.in_(ids)))
    session.execute(delete(store.CustomerPhone).where(store.CustomerPhone.customer_id.in_(ids)))
    # The announcements of their extra phones carry the number (ciphertext, blind index):
    # gone too, sent or not (the leads service forgets them on person.erased).
    session.execute(text(
        "DELETE FROM customers.outbox WHERE event_type = ANY(:types) "
        "AND envelope->'payload'->>'customer_id' = ANY(:ids)"),
        {"types": [CUSTOMER_PHONE_ADDED, CUSTOMER_PHONE_REMOVED],
         "ids": [str(i) for i in ids]})
    session.execute(update(store.Followup).where(store.Followup.customer_id.in_(ids))
                    .values(content="", outcome=None, units=[]))
    session.execute(update(store.StageChange).where(store.StageChange.customer_id.in_(ids))
                    .values(reason=None, unit=None))
    session.execute(update(store.History).where(store.History.customer_id.in_(ids))
                    .values(changes={}))
    session.execute(update(store.Consent).where(store.Consent.customer_id.in_(ids))
                    .values(evidence=None))
    files = list(session.scalars(delete(store.Attachment).where(
        store.Attachment.customer_id.in_(ids)).returning(store.Attachment.storage_key)))
    return files, names


def scrub_outbox(session: Session, event_id: uuid.UUID, customer_ids: list[str]) -> None:
    """Once person.erased is out, its phone indexes and names need not stay in the outbox;
    the person's stage changes there lose their free text too."""
    session.execute(text(
        "UPDATE customers.outbox SET envelope = jsonb_set(jsonb_set(envelope, "
        "'{payload,phone_indexes}', '[]'::jsonb), '{payload,names}', '[]'::jsonb) "
        "WHERE id = :id"), {"id": event_id})
    session.execute(text(
        "UPDATE customers.outbox SET envelope = jsonb_set(jsonb_set(envelope, "
        "'{payload,reason}', 'null'::jsonb), '{payload,unit}', 'null'::jsonb) "
        "WHERE event_type = 'customer.stage_changed' "
        "AND envelope->'payload'->>'customer_id' = ANY(:ids)"), {"ids": customer_ids})


def move_to_survivor(session: Session, survivor: store.Customer, merged: store.Customer
                     ) -> dict[str, int]:
    """Follow-ups, stage changes, consents, history, attachments and tags (a union) of the
    merged record become the survivor's; records merged into it before follow along."""
    moved = {}
    for name, model in (("followups", store.Followup), ("stage_changes", store.StageChange),
                        ("consents", store.Consent), ("history", store.History),
                        ("attachments", store.Attachment), ("phones", store.CustomerPhone)):
        moved[name] = rowcount(session.execute(update(model).where(
            model.customer_id == merged.id).values(customer_id=survivor.id)))
    tags = list(session.scalars(select(store.CustomerTag).where(
        store.CustomerTag.customer_id == merged.id)))
    added = 0
    if tags:
        added = len(session.execute(insert(store.CustomerTag).values([
            {"customer_id": survivor.id, "dimension": t.dimension, "value": t.value}
            for t in tags]).on_conflict_do_nothing().returning(store.CustomerTag.value)).all())
        session.execute(delete(store.CustomerTag).where(
            store.CustomerTag.customer_id == merged.id))
    moved["tags_added"] = added
    moved["earlier_merged_records"] = rowcount(session.execute(update(C).where(
        C.merged_into == merged.id).values(merged_into=survivor.id)))
    return moved


def record_marketing_choice(db, customer: store.Customer, *, opt_out: bool, actor_id,
                            recorded_by, evidence: str | None,
                            channel: ConsentChannel | None = None, extra: dict | None = None,
                            consent: bool = True) -> bool:
    """The one way the marketing opt-out changes (PIPL Art. 24), whoever records it: the
    customer's marketing consent withdrawn or given (in the consent log, unless the caller
    logged it already), the profile flag and version, and the history of who, when, how.
    False when the customer already stood there."""
    now = clock.now()
    if consent:
        if channel is None:
            raise ValueError("a consent record names its channel")
        db.add(store.Consent(id=uuid.uuid4(), company_id=customer.company_id,
                             customer_id=customer.id, purpose=ConsentPurpose.marketing.value,
                             granted=not opt_out, channel=channel.value, evidence=evidence,
                             recorded_by=recorded_by, at=now))
    before = bool(customer.marketing_opt_out)
    if before == opt_out:
        return False
    customer.marketing_opt_out, customer.opted_out_at = opt_out, now if opt_out else None
    customer.version, customer.updated_at = customer.version + 1, now
    db.add(store.History(id=uuid.uuid4(), company_id=customer.company_id,
                         customer_id=customer.id, actor_id=actor_id, at=now,
                         changes={"marketing_opt_out": [before, opt_out], **(extra or {})}))
    outbox.record(db, store.Outbox, SERVICE, CUSTOMER_MARKETING_CHANGED, MarketingChanged(
        customer_id=customer.id, company_id=customer.company_id, opted_out=opt_out, at=now))
    return True
