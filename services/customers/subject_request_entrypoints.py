"""Data-subject requests (PIPL Art. 45 access and copy, Art. 47 deletion), orchestrated here:
the customers service knows who the person is (their records, merged ones included), asks
every other service what it holds on them (export) or tells them all to forget them
(erasure, by the person.erased event), and audits both."""

from __future__ import annotations

import logging
import uuid

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from contracts import customers as c
from contracts.envelope import Envelope
from contracts.errors import (
    BY_NAME,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    parse,
)
from kit import clock, phones, storage
from kit.inbox import handles
from kit.privacy import NO_CUSTOMER, person_query, subject_request_handler
from kit.service import rpc
from services.customers import privacy, privacy_store, store
from services.customers.access import CustomersBase

log = logging.getLogger(__name__)

# Every other service answers person_data; an export waits for all of them or fails whole.
PEERS = ("leads", "tasks", "analytics", "directory", "service_desk")
# What an erasure keeps, and why (answered with every erasure).
KEPT = ["anonymous customer rows (stage, channel, project, dates, deal amount) for the funnel "
        "and the statistics", "analytics' daily counters (aggregates)",
        "the audit of who accessed, exported or erased the data (PIPL Art. 56), without the "
        "phone"]


class SubjectRequests(CustomersBase):
    """Mixin of CustomersService."""

    leads_rpc = RpcProxy("leads")
    tasks_rpc = RpcProxy("tasks")
    analytics_rpc = RpcProxy("analytics")
    directory_rpc = RpcProxy("directory")
    service_desk_rpc = RpcProxy("service_desk")

    @rpc
    def person_data(self, token: str, query: dict | None = None) -> dict:
        """This service's part of an export: the person's profiles, follow-ups, stage changes,
        consents, history, tags, merges and who accessed their data."""
        actor = subject_request_handler(self.keys, token)
        wanted = person_query(query)
        seeds = set(wanted.customer_ids)
        for index in wanted.phone_indexes:
            seeds |= privacy_store.by_phone_index(self.db, actor.company_id, index)
        rows = privacy_store.person_records(self.db, actor.company_id, seeds)
        return {"service": c.SERVICE, "holds_personal_data": bool(rows),
                "records": privacy_store.person_data(self.db, self.keys.vault, rows)}

    @rpc
    def subject_request(self, token: str, request: dict) -> dict:
        actor = subject_request_handler(self.keys, token)
        wanted = parse(c.SubjectRequest, request)
        privacy.check_reason(wanted.reason)
        if (wanted.phone is None) == (wanted.customer_id is None):
            raise ValidationFailed("name the person by phone or by customer_id (one of them)",
                                   "phone")
        e164, indexes, seeds = None, [], set()
        if wanted.phone is not None:
            e164 = phones.normalise(wanted.phone)
            indexes.append(self.keys.vault.blind_index(e164))
            seeds = privacy_store.by_phone_index(self.db, actor.company_id, indexes[0])
        else:
            seeds = {wanted.customer_id}
        rows = privacy_store.person_records(self.db, actor.company_id, seeds,
                                            lock=wanted.kind == "erase")
        if wanted.customer_id is not None and not rows:
            raise NotFound("no such customer", "customer_id")
        indexes += [r.phone_index for r in rows
                    if r.erased_at is None and r.phone_index not in indexes]
        indexes += [i for i in privacy_store.extra_phone_indexes(self.db, [r.id for r in rows])
                    if i not in indexes]
        subject = {"phone": phones.national(e164) if e164 else None,
                   "customer_ids": [str(r.id) for r in rows]}
        request_id = uuid.uuid4()
        if wanted.kind == "export":
            return self._export(token, actor, wanted, request_id, rows, indexes, subject)
        return self._erase(actor, wanted, request_id, rows, indexes, subject)

    def _audit(self, actor, rows, action: str, reason: str, request_id) -> None:
        now = clock.now()
        for customer_id in [r.id for r in rows] or [NO_CUSTOMER]:
            self.db.add(store.PiiAudit(id=uuid.uuid4(), company_id=actor.company_id,
                                       actor_id=actor.user_id, customer_id=customer_id,
                                       action=action, reason=f"{reason} [request {request_id}]",
                                       at=now))

    def _export(self, token, actor, wanted, request_id, rows, indexes, subject) -> dict:
        query = {"customer_ids": subject["customer_ids"], "phone_indexes": indexes}
        parts = self._gather(token, query)
        own = {"service": c.SERVICE, "holds_personal_data": bool(rows),
               "records": privacy_store.person_data(self.db, self.keys.vault, rows)}
        self._audit(actor, rows, "dsar_export", wanted.reason, request_id)
        self.db.commit()
        return {"request_id": str(request_id), "kind": "export",
                "generated_at": clock.now().isoformat(), "company_id": str(actor.company_id),
                "reason": wanted.reason, "subject": subject,
                "services": {c.SERVICE: own, **parts}}

    def _gather(self, token: str, query: dict) -> dict:
        """Every peer's part, asked at once; one that cannot answer fails the export (a copy
        that silently lacks a service's data would be a wrong answer to the person)."""
        timeout = self.keys.settings.rpc_timeout_seconds
        pending, parts = {}, {}
        try:
            for peer in PEERS:
                pending[peer] = getattr(self, f"{peer}_rpc").person_data.call_async(token, query)
            for peer, reply in pending.items():
                with eventlet.Timeout(timeout):
                    parts[peer] = reply.result()
        except UnknownService as exc:
            raise ServiceUnavailable(f"{exc} is not running; nothing was exported, try again",
                                     "services") from None
        except eventlet.Timeout:
            missing = next(p for p in PEERS if p not in parts)
            raise ServiceUnavailable(f"{missing} did not answer in {timeout:g}s; nothing was "
                                     "exported, try again", "services") from None
        except RemoteError as exc:
            known = BY_NAME.get(exc.exc_type)
            if known is not None and known.http_status < 500:
                raise known(str(exc.value)) from None
            raise ServiceUnavailable(f"a service failed to answer ({exc.exc_type}); nothing "
                                     "was exported", "services") from None
        return parts

    def _erase(self, actor, wanted, request_id, rows, indexes, subject) -> dict:
        now = clock.now()
        before = {r.id: r.erased_at for r in rows}
        files, names = privacy_store.erase(self.db, self.keys.vault, rows, now)
        if rows or indexes:
            self.emit(c.PERSON_ERASED, c.PersonErased(
                request_id=request_id, company_id=actor.company_id,
                customer_ids=[r.id for r in rows], phone_indexes=indexes, names=names, at=now))
        self._audit(actor, rows, "dsar_erase", wanted.reason, request_id)
        self.db.commit()
        self._delete_files(files)
        return {"request_id": str(request_id), "kind": "erase", "subject": subject,
                "erased_now": [str(i) for i, at in before.items() if at is None],
                "already_erased": [str(i) for i, at in before.items() if at is not None],
                "notified": ["leads", "tasks"] if rows or indexes else [], "kept": KEPT}

    def _delete_files(self, keys: list[str]) -> None:
        files = getattr(self, "files", None) or storage.LocalDiskStorage(
            self.keys.settings.storage_dir)
        for key in keys:
            try:
                files.delete(key)
            except (OSError, ValueError):
                log.exception("could not delete an erased customer's file %s", key)

    @handles(c.SERVICE, c.PERSON_ERASED)
    def on_person_erased(self, session, env: Envelope) -> None:
        """Our own event is out (it reached our queue, so every subscriber's queue): its
        phone indexes and names need not stay in the outbox."""
        fact = c.PersonErased.model_validate(env.payload)
        privacy_store.scrub_outbox(session, env.id, [str(i) for i in fact.customer_ids])
