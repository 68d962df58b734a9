"""Task rules without I/O: SOP templates turned into tasks with deadlines, what completes a
task, and how a task reads to its owner."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from contracts.tasks import SopTemplate, TaskStatus, TaskView
from kit import clock

# Speed to lead: contact within 5 minutes vs 30 gives ~100x the odds of reaching the lead;
# the default SOP asks for the first call within 15 minutes (sop_defaults.yaml).

DEFAULTS_FILE = Path(__file__).with_name("sop_defaults.yaml")


@dataclass(frozen=True)
class TaskPlan:
    kind: str
    title: str
    due_at: datetime
    stage: str | None = None
    evidence: str = "manual"
    followup_types: tuple[str, ...] = ()
    remind_at: datetime | None = None
    escalation: tuple[dict, ...] = ()


def parse_duration(text: str) -> timedelta:
    number, unit = int(text[:-1]), text[-1]
    return {"m": timedelta(minutes=number), "h": timedelta(hours=number),
            "d": timedelta(days=number)}[unit]


@lru_cache
def default_template() -> SopTemplate:
    """The shipped SOP (a copy of its one parse: a caller may change it); a broken file
    names the stage and field."""
    return _shipped_template().model_copy(deep=True)


@functools.cache
def _shipped_template() -> SopTemplate:
    try:
        return SopTemplate.model_validate(yaml.safe_load(DEFAULTS_FILE.read_text("utf-8")))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{DEFAULTS_FILE.name}: {where}: {first['msg']}") from None


def into_opening_hours(moment: datetime, opens: str, closes: str) -> datetime:
    """A deadline outside opening hours (Asia/Shanghai) moves to the next opening."""
    local = clock.to_local(moment)
    open_t, close_t = time.fromisoformat(opens), time.fromisoformat(closes)
    if local.time() < open_t:
        return local.replace(hour=open_t.hour, minute=open_t.minute, second=0,
                             microsecond=0).astimezone(UTC)
    if local.time() > close_t:
        nxt = local + timedelta(days=1)
        return nxt.replace(hour=open_t.hour, minute=open_t.minute, second=0,
                           microsecond=0).astimezone(UTC)
    return moment


def plans_for(template: SopTemplate, stage: str, entered_at: datetime) -> list[TaskPlan]:
    """The tasks a customer entering `stage` gets, with their deadlines."""
    for stage_template in template.stages:
        if stage_template.stage == stage:
            break
    else:
        return []
    plans = []
    for task in stage_template.tasks:
        due = entered_at + parse_duration(task.due_after)
        if task.working_hours:
            due = into_opening_hours(due, template.opens, template.closes)
        remind = due - parse_duration(task.remind_before) if task.remind_before else None
        plans.append(TaskPlan(
            kind=task.key, title=task.title, due_at=due, stage=stage, evidence=task.evidence,
            followup_types=tuple(task.followup_types), remind_at=remind,
            escalation=tuple(step.model_dump() for step in task.escalation)))
    return plans


def completed_by_followup(task, followup_type: str) -> bool:
    return task.evidence == "followup" and (
        not task.followup_types or followup_type in task.followup_types)


def first_contact(customer_created_at: datetime) -> TaskPlan:
    """The new stage's first-contact task (as the default SOP defines it)."""
    return next(p for p in plans_for(default_template(), "new", customer_created_at)
                if p.kind == "first_contact")


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


@dataclass(frozen=True)
class AlertStep:
    """What a task's clock does now: which alert, to whom, and when it wakes next."""

    kind: str                     # reminder | overdue | escalated
    to: tuple[str, ...]           # owner, manager, director
    level: int
    next_alert_at: datetime | None
    reminded: bool = False


def alert_step(task, now: datetime) -> AlertStep | None:
    """Reminder before the deadline; at the deadline the owner and their manager hear of
    it; then each escalation step (after being overdue so long) tells the next level."""
    if task.status != TaskStatus.open.value:
        return None
    if now < task.due_at:
        if task.remind_at is not None and task.reminded_at is None and now >= task.remind_at:
            return AlertStep("reminder", ("owner",), task.escalation_level, task.due_at,
                             reminded=True)
        return None
    chain = list(task.escalation or [])
    level = task.escalation_level
    if level == 0:
        nxt = task.due_at + parse_duration(chain[0]["after"]) if chain else None
        return AlertStep("overdue", ("owner", "manager"), 1, nxt)
    if level - 1 < len(chain):
        step = chain[level - 1]
        nxt = task.due_at + parse_duration(chain[level]["after"]) if level < len(chain) \
            else None
        return AlertStep("escalated", (step["to"],), level + 1, nxt)
    return None


def recycle_days(template: SopTemplate, stage: str) -> int:
    return template.recycle_after_days_by_stage.get(stage, template.recycle_after_days)
