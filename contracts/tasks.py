"""Tasks: SOP tasks with deadlines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from typing import Literal

from pydantic import BaseModel, Field

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


# --- SOP templates -----------------------------------------------------------------------

DURATION = r"^\d{1,4}[mhd]$"   # 15m, 24h, 3d


class Escalation(Model):
    after: str = Field(pattern=DURATION)          # overdue for this long …
    to: Literal["manager", "director"]          # … then tell them


class SopTask(Model):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    title: str = Field(min_length=1, max_length=100)
    due_after: str = Field(pattern=DURATION)      # from entering the stage
    working_hours: bool = False                   # move deadlines into opening hours
    evidence: Literal["followup", "stage", "manual"] = "manual"
    followup_types: list[Literal["call", "wechat", "sms", "visit", "viewing", "other"]] = \
        Field(default_factory=list)
    remind_before: str | None = Field(default=None, pattern=DURATION)
    escalation: list[Escalation] = Field(default_factory=list)


class StageTemplate(Model):
    stage: str = Field(min_length=1, max_length=20)
    tasks: list[SopTask] = Field(default_factory=list, max_length=20)


class SopTemplate(Model):
    """A project's SOP: the tasks each stage creates, and the office's opening hours."""

    opens: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    closes: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    stages: list[StageTemplate] = Field(default_factory=list)
