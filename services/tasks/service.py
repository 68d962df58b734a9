"""Tasks service entrypoints: create SOP tasks from customer facts, list and complete them."""

from __future__ import annotations

from sqlalchemy import func, select

from contracts import tasks as c
from contracts.errors import Conflict, NotFound, parse, parse_id
from kit import clock
from kit.readcopy import KeepsRevokedTokens, KeepsUserCopy
from kit.scope import visibility
from kit.service import KeyuanService, rpc
from services.tasks import domain, engine, store
from services.tasks.clock_entrypoints import Clocks
from services.tasks.notify.campaign_entrypoints import CampaignDeliveries
from services.tasks.notify.entrypoints import Notifications
from services.tasks.privacy_entrypoints import TaskPrivacy
from services.tasks.sop_entrypoints import SopEngine


class TasksService(TaskPrivacy, Notifications, CampaignDeliveries, Clocks, SopEngine,
                   KeepsUserCopy, KeepsRevokedTokens, KeyuanService):
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox
    users_table = store.Users
    revoked_tokens_table = store.RevokedTokens

    @rpc
    def list(self, token: str, query: dict | None = None) -> dict:
        actor = self.keys.actor(token)
        q = parse(c.TaskQuery, query)
        stmt = store.scoped(select(store.Task), visibility(actor))
        if q.status:
            stmt = stmt.where(store.Task.status == q.status.value)
        if q.customer_id:
            stmt = stmt.where(store.Task.customer_id == q.customer_id)
        if q.owner_id:
            stmt = stmt.where(store.Task.owner_id == q.owner_id)
        if q.overdue is not None:
            late = store.overdue(clock.now())
            stmt = stmt.where(late if q.overdue else ~late)
        total = self.db.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = self.db.scalars(stmt.order_by(store.Task.due_at, store.Task.id)
                               .limit(q.page_size).offset((q.page - 1) * q.page_size))
        now = clock.now()
        return {"items": [domain.view(t, now).model_dump(mode="json") for t in rows],
                "total": total, "page": q.page, "page_size": q.page_size}

    @rpc
    def behind(self, token: str) -> dict:
        """Who is behind: each visible owner's open and overdue tasks, most overdue first
        (the whole team, not a page of tasks)."""
        actor = self.keys.actor(token)
        T = store.Task
        late = store.overdue(clock.now())
        stmt = store.scoped(select(
            T.owner_id, func.count().label("open"),
            func.count().filter(late).label("overdue"),
            func.min(T.due_at).filter(late).label("oldest_due_at")), visibility(actor))
        rows = self.db.execute(stmt.where(T.status == c.TaskStatus.open.value)
                               .group_by(T.owner_id)).all()
        loads = sorted((c.OwnerLoad(owner_id=r.owner_id, open=r.open, overdue=r.overdue,
                                    oldest_due_at=r.oldest_due_at) for r in rows),
                       key=lambda x: (-x.overdue, -x.open, str(x.owner_id)))
        return {"items": [x.model_dump(mode="json") for x in loads]}

    @rpc
    def complete(self, token: str, task_id: str, completion: dict | None = None) -> dict:
        actor = self.keys.actor(token)
        wanted = parse_id(task_id, "task_id")
        done = parse(c.TaskCompletion, completion)
        task = self.db.scalars(store.scoped(select(store.Task), visibility(actor))
                               .where(store.Task.id == wanted).with_for_update()).first()
        if task is None:
            raise NotFound("no such task", "task_id")
        now = clock.now()
        if task.status == c.TaskStatus.done.value:
            return domain.view(task, now).model_dump(mode="json")  # a retry: already done
        if task.status != c.TaskStatus.open.value:
            raise Conflict(f"the task is {task.status}", "task_id")
        engine.complete(self.db, task, by=actor.user_id, note=done.note)
        self.db.commit()
        return domain.view(task, now).model_dump(mode="json")
