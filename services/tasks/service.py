"""Tasks service entrypoints: create SOP tasks from customer facts, list and complete them."""

from __future__ import annotations

import uuid

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from contracts import customers, leads
from contracts import tasks as c
from contracts.envelope import Envelope
from contracts.errors import Conflict, NotFound, ValidationFailed, from_pydantic
from kit import clock
from kit.inbox import handles
from kit.readcopy import KeepsUserCopy
from kit.scope import visibility
from kit.service import KeyuanService, rpc
from services.tasks import domain, store


class TasksService(KeepsUserCopy, KeyuanService):
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox
    users_table = store.Users

    @rpc
    def list(self, token: str, query: dict | None = None) -> dict:
        actor = self.keys.actor(token)
        try:
            q = c.TaskQuery.model_validate(query or {})
        except ValidationError as exc:
            raise from_pydantic(exc) from None
        stmt = store.scoped(select(store.Task), visibility(actor))
        if q.status:
            stmt = stmt.where(store.Task.status == q.status.value)
        if q.customer_id:
            stmt = stmt.where(store.Task.customer_id == q.customer_id)
        total = self.db.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = self.db.scalars(stmt.order_by(store.Task.due_at, store.Task.id)
                               .limit(q.page_size).offset((q.page - 1) * q.page_size))
        now = clock.now()
        return {"items": [domain.view(t, now).model_dump(mode="json") for t in rows],
                "total": total, "page": q.page, "page_size": q.page_size}

    @rpc
    def complete(self, token: str, task_id: str, completion: dict | None = None) -> dict:
        actor = self.keys.actor(token)
        try:
            wanted = uuid.UUID(str(task_id))
            done = c.TaskCompletion.model_validate(completion or {})
        except ValidationError as exc:
            raise from_pydantic(exc) from None
        except ValueError:
            raise ValidationFailed("not a task id", "task_id") from None
        task = self.db.scalars(store.scoped(select(store.Task), visibility(actor))
                               .where(store.Task.id == wanted).with_for_update()).first()
        if task is None:
            raise NotFound("no such task", "task_id")
        now = clock.now()
        if task.status == c.TaskStatus.done.value:
            return domain.view(task, now).model_dump(mode="json")  # a retry: already done
        if task.status != c.TaskStatus.open.value:
            raise Conflict(f"the task is {task.status}", "task_id")
        task.status, task.completed_at, task.completed_by = c.TaskStatus.done.value, now, \
            actor.user_id
        task.note = done.note
        self.emit(c.TASK_COMPLETED, c.TaskCompleted(
            task_id=task.id, company_id=task.company_id, project_id=task.project_id,
            customer_id=task.customer_id,
            owner_id=task.owner_id, kind=task.kind, completed_at=now,
            on_time=domain.completed_on_time(task, now)))
        self.db.commit()
        return domain.view(task, now).model_dump(mode="json")

    @handles(customers.SERVICE, customers.CUSTOMER_CREATED)
    def on_customer_created(self, session, env: Envelope) -> None:
        fact = customers.CustomerCreated.model_validate(env.payload)
        if fact.owner_id is None:
            return  # in the pool or on offer: nobody to give the task to yet
        self._first_contact(session, env, fact.company_id, fact.project_id, fact.customer_id,
                            fact.owner_id, fact.created_at)

    @handles(leads.SERVICE, leads.CUSTOMER_CLAIMED)
    def on_customer_claimed(self, session, env: Envelope) -> None:
        """A new customer grabbed (抢单) or handed out when nobody grabbed it."""
        change = leads.OwnershipChanged.model_validate(env.payload)
        if change.action in ("grab", "grab_fallback") and change.owner_id is not None:
            self._first_contact(session, env, change.company_id, change.project_id,
                                change.customer_id, change.owner_id, change.at)

    def _first_contact(self, session, env: Envelope, company_id, project_id, customer_id,
                       owner_id, since) -> None:
        plan = domain.first_contact(since)
        task_id = uuid.uuid4()
        created = session.execute(insert(store.Task).values(
            id=task_id, company_id=company_id, project_id=project_id,
            customer_id=customer_id, owner_id=owner_id, kind=plan.kind,
            title=plan.title, status=c.TaskStatus.open.value, due_at=plan.due_at,
            created_at=clock.now(), source_event_id=env.id,
        ).on_conflict_do_nothing().returning(store.Task.id)).first()
        if created:
            self.emit(c.TASK_CREATED, c.TaskCreated(
                task_id=task_id, company_id=company_id, project_id=project_id,
                customer_id=customer_id, owner_id=owner_id, kind=plan.kind, title=plan.title,
                due_at=plan.due_at), correlation_id=env.correlation_id)
