"""The SOP engine's writes: open a stage's tasks, complete or cancel them, and keep each
customer's last activity. Every change is recorded in the outbox in the caller's session."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts import tasks as c
from kit import clock, outbox
from kit.db import Prepared, held_for_session
from services.tasks import domain, store


def _emit(session: Session, event_type: str, payload, correlation_id=None) -> None:
    outbox.record(session, store.Outbox, c.SERVICE, event_type, payload, correlation_id)


def template_for(session: Session, project_id) -> c.SopTemplate:
    row = session.get(store.SopTemplateRow, project_id)
    return c.SopTemplate.model_validate(row.template) if row else domain.default_template()


def open_stage_tasks(session: Session, source_event_id, *, company_id, project_id,
                     customer_id, owner_id, stage: str, since: datetime,
                     correlation_id: str | None = None) -> int:
    """Create the tasks the project's SOP gives a customer entering `stage`. A redelivered
    event creates nothing twice (unique on customer, kind, source event)."""
    created = 0
    # Read once per batch of events (an event worker's session).
    template = held_for_session(session, "sop_template", project_id,
                                lambda: template_for(session, project_id))
    for plan in domain.plans_for(template, stage, since):
        task_id = uuid.uuid4()
        first_alert = plan.due_at if plan.remind_at is None else plan.remind_at
        row = _OPEN_TASK.execute(
            session, id=task_id, company_id=company_id, project_id=project_id,
            customer_id=customer_id, owner_id=owner_id, kind=plan.kind, title=plan.title,
            status=c.TaskStatus.open.value, due_at=plan.due_at, created_at=clock.now(),
            source_event_id=source_event_id, stage=stage, evidence=plan.evidence,
            followup_types=list(plan.followup_types), remind_at=plan.remind_at,
            escalation=Jsonb(list(plan.escalation)), next_alert_at=first_alert).first()
        if row:
            created += 1
            _emit(session, c.TASK_CREATED, c.TaskCreated(
                task_id=task_id, company_id=company_id, project_id=project_id,
                customer_id=customer_id, owner_id=owner_id, kind=plan.kind, title=plan.title,
                due_at=plan.due_at), correlation_id)
    return created


# Compiled once (SQLAlchemy cannot cache PostgreSQL's ON CONFLICT: kit.db.Prepared).
_TASK_COLUMNS = ("id", "company_id", "project_id", "customer_id", "owner_id", "kind",
                 "title", "status", "due_at", "created_at", "source_event_id", "stage",
                 "evidence", "followup_types", "remind_at", "escalation", "next_alert_at")
_OPEN_TASK = Prepared(insert(store.Task).values({name: bindparam(name)
                                                 for name in _TASK_COLUMNS})
                      .on_conflict_do_nothing().returning(store.Task.id))


def complete(session: Session, task: store.Task, *, by, note: str | None = None) -> None:
    now = clock.now()
    task.status, task.completed_at, task.completed_by = c.TaskStatus.done.value, now, by
    task.note, task.next_alert_at = note, None
    _emit(session, c.TASK_COMPLETED, c.TaskCompleted(
        task_id=task.id, company_id=task.company_id, project_id=task.project_id,
        customer_id=task.customer_id, owner_id=task.owner_id, kind=task.kind,
        completed_at=now, on_time=domain.completed_on_time(task, now)))


def open_tasks(session: Session, customer_id, stage: str | None = None) -> list[store.Task]:
    """A customer's open tasks (or several customers', given a list), locked."""
    wanted = (store.Task.customer_id.in_(customer_id) if isinstance(customer_id, list)
              else store.Task.customer_id == customer_id)
    stmt = select(store.Task).where(wanted, store.Task.status == c.TaskStatus.open.value)
    if stage is not None:
        stmt = stmt.where(store.Task.stage == stage)
    return list(session.scalars(stmt.with_for_update()))


def cancel(session: Session, tasks: list[store.Task], reason: str) -> None:
    for task in tasks:
        task.status, task.cancel_reason, task.next_alert_at = (
            c.TaskStatus.cancelled.value, reason, None)


def reassign_open(session: Session, customer_id, owner_id) -> None:
    reassign_open_many(session, {customer_id: owner_id})


def reassign_open_many(session: Session, owners: dict) -> None:
    """Open tasks go to each customer's new owner (customer id → owner), deadlines and
    alerts as they were: one statement for them all."""
    if owners:
        session.execute(_REASSIGN_OPEN, {"ids": list(owners), "owners": list(owners.values())})


_REASSIGN_OPEN = text("""
    UPDATE tasks.tasks AS t SET owner_id = o.owner_id
    FROM unnest(CAST(:ids AS uuid[]), CAST(:owners AS uuid[])) AS o(customer_id, owner_id)
    WHERE t.customer_id = o.customer_id AND t.status = 'open'""")


def track(session: Session, *, customer_id, company_id, project_id, owner_id, stage=None,
          at: datetime, progress: bool, owner_known: bool = True) -> None:
    """Remember the customer's last activity (and last progress: a stage move or a new
    owner) for the no-follow-up warnings and recycling."""
    track_many(session, [{"customer_id": customer_id, "company_id": company_id,
                          "project_id": project_id, "owner_id": owner_id}],
               stage=stage, at=at, progress=progress, owner_known=owner_known)


def track_many(session: Session, customers: list[dict], *, stage=None, at: datetime,
               progress: bool, owner_known: bool = True) -> None:
    """track() for several customers at once (dicts of customer_id, company_id, project_id,
    owner_id), all with the same moment and stage."""
    if not customers:
        return
    rows = [{**row, "stage": stage or "new", "last_activity_at": at, "last_progress_at": at}
            for row in customers]
    _track_statement(stage is not None, progress, owner_known).execute_many(session, rows)


@functools.cache
def _track_statement(stage_known: bool, progress: bool, owner_known: bool) -> Prepared:
    stmt = insert(store.Activity).values(
        {name: bindparam(name) for name in ("customer_id", "company_id", "project_id",
                                            "owner_id", "stage", "last_activity_at",
                                            "last_progress_at")})
    changes = {"last_activity_at": stmt.excluded.last_activity_at, "warned_at": None}
    if owner_known:
        changes["owner_id"] = stmt.excluded.owner_id
    if stage_known:
        changes["stage"] = stmt.excluded.stage
    if progress:
        changes["last_progress_at"] = stmt.excluded.last_progress_at
        changes["recycle_warned_at"] = None
    return Prepared(stmt.on_conflict_do_update(index_elements=["customer_id"], set_=changes))
