"""Privacy over the leads schema: what it holds on one person (their leads, registrations,
customer keys and extra phones, pool history, rulings), their erasure, and a merge of two
customers. The caller commits."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from kit import phones
from kit.crypto import Vault
from kit.db import rowcount
from kit.privacy import ERASED_NAME, erased_marker, is_erased_marker
from services.leads import store
from services.leads.import_store import DONE, FAILED, ImportFile

K, L, R, A = store.CustomerKey, store.Lead, store.Registration, store.PhoneAlias
ERASED_PHONE = {"enc": "", "index": "", "masked": "***"}


def person(session: Session, company_id: uuid.UUID, customer_ids: set[uuid.UUID],
           phone_indexes: set[str]) -> tuple[set[uuid.UUID], set[str]]:
    """The person's customer ids and phone indexes as this service knows them: the keys of
    the customers named, and every phone that ever led to them (merged ones and extra phones
    included)."""
    ids, indexes = set(customer_ids), set(phone_indexes)
    if not ids and not indexes:
        return ids, indexes
    ids |= set(session.scalars(select(A.customer_id).where(A.company_id == company_id,
                                                           A.phone_index.in_(indexes))))
    for key in session.scalars(select(K).where(K.company_id == company_id, or_(
            K.customer_id.in_(ids), K.merged_into.in_(ids), K.phone_index.in_(indexes)))):
        ids.add(key.customer_id)
        indexes.add(key.phone_index)
    indexes |= set(session.scalars(select(A.phone_index).where(A.company_id == company_id,
                                                               A.customer_id.in_(ids))))
    indexes |= set(session.scalars(select(L.phone_index).distinct().where(
        L.company_id == company_id, L.customer_id.in_(ids))))
    return ids, {i for i in indexes if not is_erased_marker(i)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _phone(vault: Vault, sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        return phones.national(vault.open_phone(sealed)) or None
    except ValueError:
        return None


def _leads_of(company_id, ids: set[uuid.UUID], indexes: set[str]):
    return select(L).where(L.company_id == company_id,
                           or_(L.customer_id.in_(ids), L.phone_index.in_(indexes)))


def _aliases_of(company_id, ids, indexes):
    """The person's extra phones: of their customers, or their phones as someone's."""
    return (A.company_id == company_id) & or_(A.customer_id.in_(ids),
                                              A.phone_index.in_(indexes))


def person_data(session: Session, vault: Vault, company_id: uuid.UUID, ids: set[uuid.UUID],
                indexes: set[str]) -> dict:
    keys = list(session.scalars(select(K).where(K.company_id == company_id,
                                                K.customer_id.in_(ids))))
    extra = list(session.scalars(select(A).where(_aliases_of(company_id, ids, indexes))
                                 .order_by(A.created_at)))
    leads = list(session.scalars(_leads_of(company_id, ids, indexes).order_by(L.created_at)))
    registrations = list(session.scalars(select(R).where(
        R.company_id == company_id, R.phone_index.in_(indexes)).order_by(R.registered_at)))
    actions = list(session.scalars(select(store.PoolAction).where(
        store.PoolAction.company_id == company_id, store.PoolAction.customer_id.in_(ids))
        .order_by(store.PoolAction.at)))
    rulings = list(session.scalars(select(store.Ruling).where(
        store.Ruling.company_id == company_id, store.Ruling.customer_id.in_(ids))
        .order_by(store.Ruling.decided_at)))
    imported = list(session.scalars(select(store.ImportRow).where(
        store.ImportRow.customer_id.in_(ids)).order_by(store.ImportRow.job_id,
                                                        store.ImportRow.row_number)))
    return {
        "customer_keys": [{
            "customer_id": str(k.customer_id), "project_id": str(k.project_id)
            if k.project_id else None, "name": k.name, "owner_id": str(k.owner_id)
            if k.owner_id else None, "grade": k.grade, "created_at": _iso(k.created_at),
            "released_at": _iso(k.released_at), "release_reason": k.release_reason,
            "merged_into": str(k.merged_into) if k.merged_into else None} for k in keys],
        # Extra phones are kept only as blind index and masked form: listed masked.
        "phones": [{"customer_id": str(a.customer_id), "phone": a.phone_masked,
                    "added_at": _iso(a.created_at)} for a in extra],
        "leads": [{
            "id": str(x.id), "customer_id": str(x.customer_id), "project_id": str(x.project_id),
            "name": x.name, "phone": _phone(vault, x.phone_enc), "channel": x.channel,
            "sub_source": x.sub_source, "source": x.source, "note": x.note, "status": x.status,
            "city": x.city, "district": x.district, "budget_min": x.budget_min,
            "budget_max": x.budget_max, "layout": x.layout, "area_min": x.area_min,
            "area_max": x.area_max, "purpose": x.purpose, "grade": x.grade,
            "external_id": x.external_id,
            "owner_id": str(x.owner_id) if x.owner_id else None,
            "assignment_reason": x.assignment_reason, "created_at": _iso(x.created_at)}
            for x in leads],
        "registrations": [{
            "id": str(r.id), "project_id": str(r.project_id), "customer_name": r.customer_name,
            "phone": _phone(vault, r.phone_enc), "agent_id": str(r.agent_id),
            "agency": r.agency, "status": r.status, "note": r.note,
            "registered_at": _iso(r.registered_at),
            "visit_protect_until": _iso(r.visit_protect_until),
            "deal_protect_until": _iso(r.deal_protect_until), "visited_at": _iso(r.visited_at)}
            for r in registrations],
        "pool_actions": [{
            "customer_id": str(a.customer_id), "action": a.action,
            "actor_id": str(a.actor_id) if a.actor_id else None,
            "owner_id": str(a.owner_id) if a.owner_id else None, "reason": a.reason,
            "at": _iso(a.at)} for a in actions],
        "rulings": [{
            "customer_id": str(r.customer_id), "outcome": r.outcome, "rule": r.rule,
            "reason": r.reason, "attributed_to": str(r.attributed_to) if r.attributed_to
            else None, "decided_at": _iso(r.decided_at)} for r in rulings],
        "imports": [{"job_id": str(i.job_id), "row": i.row_number, "outcome": i.outcome,
                     "customer_id": str(i.customer_id)} for i in imported],
    }


def erase(session: Session, company_id: uuid.UUID, ids: set[uuid.UUID],
          indexes: set[str]) -> dict[str, int]:
    """Remove or overwrite every personal detail: names, phones (ciphertext and blind index),
    notes, platform ids, release reasons; the person's customer keys and extra phones go (a
    returning person is a new customer). Leads stay, anonymous, for the statistics (channel,
    project, time)."""
    done: dict[str, int] = {}
    id_list, index_list = list(ids), list(indexes)
    jobs = set(session.scalars(select(L.import_job_id).distinct().where(
        L.company_id == company_id, L.customer_id.in_(id_list),
        L.import_job_id.is_not(None))))
    done["leads"] = rowcount(session.execute(update(L).where(
        L.company_id == company_id, or_(L.customer_id.in_(id_list),
                                        L.phone_index.in_(index_list)))
        .values(name=ERASED_NAME, phone_enc="", note=None, external_id=None,
                phone_index=func.concat("erased:", L.id))))
    registrations = list(session.scalars(select(R).where(
        R.company_id == company_id, R.phone_index.in_(index_list))))
    for reg in registrations:
        reg.customer_name, reg.phone_enc, reg.phone_masked = ERASED_NAME, "", "***"
        reg.phone_index, reg.note = erased_marker(reg.id), None
    done["registrations"] = len(registrations)
    done["pool_actions"] = rowcount(session.execute(update(store.PoolAction).where(
        store.PoolAction.company_id == company_id,
        store.PoolAction.customer_id.in_(id_list)).values(reason=None)))
    session.execute(update(store.Offer).where(
        store.Offer.customer_id.in_(id_list), store.Offer.status == "open")
        .values(status="withdrawn"))
    # A retried request's stored answer names the customer; the key itself may be a
    # platform's lead id. Neither is needed once the person is gone.
    session.execute(text(
        "DELETE FROM leads.idempotency_keys WHERE company_id = :c "
        "AND response->>'customer_id' = ANY(:ids)"),
        {"c": company_id, "ids": [str(i) for i in id_list]})
    # An import's file is kept only until its job ends; a finished one is dropped now.
    if jobs:
        finished = list(session.scalars(select(store.ImportJob.id).where(
            store.ImportJob.id.in_(jobs), store.ImportJob.status.in_((DONE, FAILED)))))
        done["import_files"] = rowcount(session.execute(delete(ImportFile).where(
            ImportFile.job_id.in_(finished))))
    done["phone_aliases"] = rowcount(session.execute(delete(A).where(
        _aliases_of(company_id, id_list, index_list))))
    done["customer_keys"] = rowcount(session.execute(delete(K).where(
        K.company_id == company_id, or_(K.customer_id.in_(id_list),
                                        K.phone_index.in_(index_list)))))
    _scrub_outbox(session, id_list, index_list)
    return done


def _scrub_outbox(session: Session, ids: list[uuid.UUID], indexes: list[str]) -> None:
    """Events already out (or still waiting) carry names, phones and reasons: overwrite them
    as the rows were, keeping each payload valid for its contract."""
    params = {"ids": [str(i) for i in ids], "idx": indexes, "name": json.dumps(ERASED_NAME),
              "phone": json.dumps(ERASED_PHONE)}
    session.execute(text(
        "UPDATE leads.outbox SET envelope = jsonb_set(jsonb_set(envelope, '{payload,name}', "
        "CAST(:name AS jsonb)), '{payload,phone}', CAST(:phone AS jsonb)) "
        "WHERE event_type = 'lead.created' AND (envelope->'payload'->>'customer_id' = ANY(:ids)"
        " OR envelope->'payload'->'phone'->>'index' = ANY(:idx))"), params)
    session.execute(text(
        "UPDATE leads.outbox SET envelope = jsonb_set(envelope, '{payload,phone_index}', "
        "'\"\"'::jsonb) WHERE event_type = 'registration.created' "
        "AND envelope->'payload'->>'phone_index' = ANY(:idx)"), params)
    session.execute(text(
        "UPDATE leads.outbox SET envelope = jsonb_set(envelope, '{payload,reason}', "
        "'null'::jsonb) WHERE event_type IN ('customer.claimed', 'customer.released') "
        "AND envelope->'payload'->>'customer_id' = ANY(:ids)"), params)


def merge(session: Session, company_id: uuid.UUID, survivor_id: uuid.UUID,
          merged_id: uuid.UUID) -> None:
    """The merged customer's leads, rulings and pool history become the survivor's; its key
    (its phone) now leads to the survivor, as do keys merged into it before. Its extra phones
    stay its own and lead to the survivor through its key (store.phone_customers)."""
    for model in (L, store.Ruling, store.PoolAction):
        session.execute(update(model).where(model.company_id == company_id,
                                            model.customer_id == merged_id)
                        .values(customer_id=survivor_id))
    session.execute(update(store.ImportRow).where(store.ImportRow.customer_id == merged_id)
                    .values(customer_id=survivor_id))
    session.execute(update(K).where(K.company_id == company_id, or_(
        K.customer_id == merged_id, K.merged_into == merged_id)).values(merged_into=survivor_id))
    session.execute(update(store.Offer).where(store.Offer.customer_id == merged_id,
                                              store.Offer.status == "open")
                    .values(status="withdrawn"))
