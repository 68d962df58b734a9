"""The clocks: task reminders, overdue alerts and escalation, "N days without a follow-up"
warnings, and recycling silent customers to the pool. Each sweep takes due rows in batches
with FOR UPDATE SKIP LOCKED, so any number of replicas run without alerting twice."""

from __future__ import annotations

from datetime import timedelta

from nameko.timer import timer
from sqlalchemy import or_, select

from contracts import tasks as c
from kit import clock, outbox
from kit.service import Worker
from services.tasks import domain, engine, store
from services.tasks.notify import Notice, notify

BATCH = 500


NOTICE_KINDS = {
    c.TASK_REMINDER: c.NoticeKind.task_due_soon, c.TASK_OVERDUE: c.NoticeKind.task_overdue,
    c.TASK_ESCALATED: c.NoticeKind.escalation, c.CUSTOMER_SILENT: c.NoticeKind.no_followup_warning,
    c.RECYCLE_WARNING: c.NoticeKind.recycle_warning, c.RECYCLE_DUE: c.NoticeKind.recycled,
}


def _emit(session, event_type: str, alert: c.Alert) -> None:
    """The fact (for analytics and the leads service) and a notice to each recipient: the
    in-app inbox plus whatever channels the company routes this kind to."""
    outbox.record(session, store.Outbox, c.SERVICE, event_type, alert)
    occurrence = f"{event_type}:{alert.task_id or alert.customer_id}:{alert.level}:" \
                 f"{alert.at:%Y%m%d%H%M}"
    for recipient in alert.recipients:
        notify(session, Notice(
            company_id=alert.company_id, recipient_id=recipient, kind=NOTICE_KINDS[event_type],
            title=alert.title, body=alert.reason or "",
            link=f"/customers/{alert.customer_id}", dedupe_key=occurrence))


def recipients(session, owner_id, project_id, who: tuple[str, ...]) -> list:
    """owner / manager (of the owner's team) / director (of the project) → user ids."""
    u = store.Users.c
    found = []
    team = session.scalar(select(u.team_id).where(u.id == owner_id)) if owner_id else None
    for role in who:
        if role == "owner" and owner_id:
            found.append(owner_id)
        elif role == "manager" and team:
            found += list(session.scalars(select(u.id).where(
                u.role == "manager", u.team_id == team, u.active.is_(True))))
        elif role == "director":
            found += list(session.scalars(select(u.id).where(
                u.role == "director", u.project_ids.any(project_id), u.active.is_(True))))
    return list(dict.fromkeys(found))


class Clocks(Worker):
    """Mixin of TasksService."""

    @timer(interval=1)
    def sweep_task_clocks(self) -> None:
        while self._task_clock_batch() == BATCH:
            pass

    def _task_clock_batch(self) -> int:
        now = clock.now()
        due = list(self.db.scalars(
            select(store.Task).where(store.Task.status == c.TaskStatus.open.value,
                                     store.Task.next_alert_at <= now)
            .order_by(store.Task.next_alert_at).limit(BATCH)
            .with_for_update(skip_locked=True)))
        for task in due:
            step = domain.alert_step(task, now)
            if step is None:
                task.next_alert_at = None
                continue
            event = {"reminder": c.TASK_REMINDER, "overdue": c.TASK_OVERDUE,
                     "escalated": c.TASK_ESCALATED}[step.kind]
            _emit(self.db, event, c.Alert(
                company_id=task.company_id, project_id=task.project_id,
                customer_id=task.customer_id, task_id=task.id, kind=step.kind,
                title=task.title, owner_id=task.owner_id, level=step.level, at=now,
                recipients=recipients(self.db, task.owner_id, task.project_id, step.to)))
            task.escalation_level, task.next_alert_at = step.level, step.next_alert_at
            if step.reminded:
                task.reminded_at = now
        self.db.commit()
        return len(due)

    @timer(interval=10)
    def sweep_silent_customers(self) -> None:
        """Warn owners of customers without a follow-up for N days; recycle those without
        progress for M days (told a day before). The leads service does the release and
        keeps a customer under a channel's deal protection with that channel."""
        now = clock.now()
        a = store.Activity
        rows = list(self.db.scalars(
            select(a).where(a.owner_id.is_not(None), or_(
                a.warned_at.is_(None), a.recycle_warned_at.is_(None),
                a.last_progress_at <= now - timedelta(days=1)))
            .where(a.last_activity_at <= now - timedelta(days=1))
            .order_by(a.last_activity_at).limit(BATCH).with_for_update(skip_locked=True)))
        for row in rows:
            self._check_silence(row, now)
        self.db.commit()

    def _check_silence(self, row: store.Activity, now) -> None:
        sop = engine.template_for(self.db, row.project_id)
        base = {"company_id": row.company_id, "project_id": row.project_id,
                "customer_id": row.customer_id, "owner_id": row.owner_id, "at": now}
        silent_for = now - row.last_activity_at
        if row.warned_at is None and silent_for >= timedelta(days=sop.silence_warning_days):
            _emit(self.db, c.CUSTOMER_SILENT, c.Alert(
                **base, kind="silent", title=f"{sop.silence_warning_days}天未跟进",
                recipients=[row.owner_id]))
            row.warned_at = now
        limit = timedelta(days=domain.recycle_days(sop, row.stage))
        stalled = now - row.last_progress_at
        notice = timedelta(days=sop.recycle_notice_days)
        if stalled >= limit:
            _emit(self.db, c.RECYCLE_DUE, c.Alert(
                **base, kind="recycle", title="客户即将回收至公海",
                recipients=[row.owner_id],
                reason=f"no progress for {limit.days} days in stage {row.stage}"))
            # Quiet until the leads service answers (released, or kept under protection).
            row.last_progress_at, row.recycle_warned_at = now, None
        elif row.recycle_warned_at is None and stalled >= limit - notice:
            _emit(self.db, c.RECYCLE_WARNING, c.Alert(
                **base, kind="recycle_warning",
                title=f"客户将于{notice.days}天后回收至公海", recipients=[row.owner_id]))
            row.recycle_warned_at = now
