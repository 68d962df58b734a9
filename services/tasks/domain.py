"""Task rules without I/O: the first-contact SOP and how a task reads to its owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.tasks import TaskStatus, TaskView

# Speed to lead: contact within 5 minutes vs 30 gives ~100x the odds of reaching the lead.
FIRST_CONTACT_WITHIN = timedelta(minutes=15)


@dataclass(frozen=True)
class TaskPlan:
    kind: str
    title: str
    due_at: datetime


def first_contact(customer_created_at: datetime) -> TaskPlan:
    return TaskPlan("first_contact", "首次联系客户（15分钟内）",
                    customer_created_at + FIRST_CONTACT_WITHIN)


def is_overdue(task, now: datetime) -> bool:
    return task.status == TaskStatus.open.value and task.due_at < now


def completed_on_time(task, now: datetime) -> bool:
    return now <= task.due_at


def view(task, now: datetime) -> TaskView:
    return TaskView(id=task.id, company_id=task.company_id, customer_id=task.customer_id,
                    owner_id=task.owner_id, kind=task.kind, title=task.title,
                    status=TaskStatus(task.status), due_at=task.due_at,
                    overdue=is_overdue(task, now), created_at=task.created_at,
                    completed_at=task.completed_at)
