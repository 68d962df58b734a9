"""Data-subject requests in the tasks service: its part of a person's export, their erasure
(person.erased: notes and reasons go, names leave titles and notices, open tasks are
cancelled, campaign deliveries go) and a merge (customer.merged: open tasks move to the
survivor)."""

from __future__ import annotations

from sqlalchemy import delete, select, text, update

from contracts import customers
from contracts import tasks as c
from contracts.envelope import Envelope
from kit import clock
from kit.inbox import handles
from kit.privacy import person_query, redact, redact_json, subject_request_handler
from kit.service import Worker, rpc
from services.tasks import store
from services.tasks.notify import campaigns
from services.tasks.notify import store as notify_store

T = store.Task
ERASED_REASON = "customer erased (PIPL Art. 47)"


def _iso(moment):
    return moment.isoformat() if moment else None


class TaskPrivacy(Worker):
    """Mixin of TasksService."""

    @rpc
    def person_data(self, token: str, query: dict | None = None) -> dict:
        actor = subject_request_handler(self.keys, token)
        ids = person_query(query).customer_ids
        rows = list(self.db.scalars(select(T).where(
            T.company_id == actor.company_id, T.customer_id.in_(ids)).order_by(T.created_at)))
        activity = list(self.db.scalars(select(store.Activity).where(
            store.Activity.company_id == actor.company_id,
            store.Activity.customer_id.in_(ids))))
        deliveries = campaigns.person_deliveries(self.db, actor.company_id, ids)
        return {"service": c.SERVICE,
                "holds_personal_data": bool(rows or activity or deliveries),
                "records": {
                    "tasks": [{
                        "id": str(t.id), "customer_id": str(t.customer_id), "kind": t.kind,
                        "title": t.title, "status": t.status, "owner_id": str(t.owner_id),
                        "due_at": _iso(t.due_at), "created_at": _iso(t.created_at),
                        "completed_at": _iso(t.completed_at), "note": t.note,
                        "cancel_reason": t.cancel_reason} for t in rows],
                    "activity": [{
                        "customer_id": str(a.customer_id), "stage": a.stage,
                        "last_activity_at": _iso(a.last_activity_at),
                        "last_progress_at": _iso(a.last_progress_at)} for a in activity],
                    "campaign_deliveries": deliveries}}

    @handles(customers.SERVICE, customers.PERSON_ERASED)
    def on_person_erased(self, session, env: Envelope) -> None:
        fact = customers.PersonErased.model_validate(env.payload)
        ids = list(fact.customer_ids)
        if not ids:
            return
        for task in session.scalars(select(T).where(T.company_id == fact.company_id,
                                                    T.customer_id.in_(ids))):
            task.title = redact(task.title, fact.names)
            task.note = None
            if task.status == c.TaskStatus.open.value:
                task.status, task.cancel_reason = c.TaskStatus.cancelled.value, ERASED_REASON
            elif task.cancel_reason:
                task.cancel_reason = ERASED_REASON
        # Nobody works an erased person: no more clocks, warnings or recycling.
        session.execute(delete(store.Activity).where(store.Activity.customer_id.in_(ids)))
        # Campaign deliveries hold the phone's ciphertext and the name; notices the name.
        campaigns.forget(session, fact.company_id, ids, clock.now())
        notify_store.redact_names(session, fact.company_id, fact.names)
        rows = session.execute(text(
            "SELECT id, envelope FROM tasks.outbox "
            "WHERE envelope->'payload'->>'customer_id' = ANY(:ids)"),
            {"ids": [str(i) for i in ids]}).all()
        for row in rows:
            envelope = dict(row.envelope)
            envelope["payload"] = redact_json(envelope.get("payload", {}), fact.names)
            if "note" in envelope["payload"]:
                envelope["payload"]["note"] = None
            session.execute(store.Outbox.update().where(store.Outbox.c.id == row.id)
                            .values(envelope=envelope))

    @handles(customers.SERVICE, customers.CUSTOMER_MERGED)
    def on_customer_merged(self, session, env: Envelope) -> None:
        fact = customers.CustomerMerged.model_validate(env.payload)
        values = {"customer_id": fact.survivor_id}
        if fact.survivor_owner_id is not None:
            values["owner_id"] = fact.survivor_owner_id
        session.execute(update(T).where(T.company_id == fact.company_id,
                                        T.customer_id == fact.merged_id,
                                        T.status == c.TaskStatus.open.value).values(**values))
        # The survivor's own clock goes on; the merged record has none of its own any more.
        session.execute(delete(store.Activity).where(
            store.Activity.customer_id == fact.merged_id))
