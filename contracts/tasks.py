"""Tasks: SOP tasks with deadlines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel

from contracts.common import Model, Note, Page

SERVICE = "tasks"

TASK_CREATED = "task.created"
TASK_COMPLETED = "task.completed"


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class TaskQuery(Page):
    status: TaskStatus | None = None
    customer_id: UUID | None = None


class TaskCompletion(Model):
    note: Note | None = None


class TaskView(BaseModel):
    id: UUID
    company_id: UUID
    customer_id: UUID
    owner_id: UUID
    kind: str
    title: str
    status: TaskStatus
    due_at: datetime
    overdue: bool
    created_at: datetime
    completed_at: datetime | None


class TaskCreated(BaseModel):
    """Payload of task.created."""

    task_id: UUID
    company_id: UUID
    project_id: UUID
    customer_id: UUID
    owner_id: UUID
    kind: str
    title: str
    due_at: datetime


class TaskCompleted(BaseModel):
    task_id: UUID
    company_id: UUID
    project_id: UUID
    customer_id: UUID
    owner_id: UUID
    kind: str
    completed_at: datetime
    on_time: bool
