"""Tasks: SOP tasks with deadlines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

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
    owner_id: UUID | None = None
    overdue: bool | None = None      # true: open and past due; false: not overdue


class OwnerLoad(BaseModel):
    """One consultant's open work (GET /api/tasks/behind): most overdue first."""

    owner_id: UUID
    open: int
    overdue: int
    oldest_due_at: datetime | None   # the longest-overdue task's deadline


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
    silence_warning_days: int = Field(default=3, ge=1, le=90)     # 3天未跟进预警
    recycle_after_days: int = Field(default=15, ge=1, le=365)     # no progress → the pool
    recycle_notice_days: int = Field(default=1, ge=0, le=30)      # told this long before
    recycle_after_days_by_stage: dict[str, int] = Field(default_factory=dict)


# --- Notifications: the in-app inbox and the external channels (WeCom, DingTalk, SMS) ------

class NoticeKind(StrEnum):
    task_due_soon = "task_due_soon"
    task_overdue = "task_overdue"
    escalation = "escalation"
    no_followup_warning = "no_followup_warning"
    recycle_warning = "recycle_warning"
    recycled = "recycled"
    campaign = "campaign"                  # a re-marketing message to a customer (SMS)
    campaign_forward = "campaign_forward"  # to a consultant: send this to your customers


class NoticeChannel(StrEnum):
    inbox = "inbox"          # always: every notice is in its recipient's in-app inbox
    wecom = "wecom"          # 企业微信 group robot
    dingtalk = "dingtalk"    # 钉钉 group robot
    sms = "sms"              # an SMS provider over HTTP, to the recipient's phone


HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000,
                                           pattern=r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$")]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
TemplateCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                max_length=100)]


class WecomChannel(Model):
    url: HttpUrl     # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...


class DingtalkChannel(Model):
    url: HttpUrl     # https://oapi.dingtalk.com/robot/send?access_token=...
    secret: Secret | None = None     # the robot's 加签 secret: requests carry timestamp+sign


class SmsChannel(Model):
    url: HttpUrl
    api_key: Secret
    sender: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=50)]
    # The provider's template per notice kind; a kind without one uses its own name.
    templates: dict[NoticeKind, TemplateCode] = Field(default_factory=dict)
    # Directory users carry no phone: the numbers SMS goes to, per user id.
    phones: dict[UUID, Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=dict, max_length=10_000)


class NotificationChannels(Model):
    """A channel sent replaces that channel; null removes it; one not sent is kept."""

    wecom: WecomChannel | None = None
    dingtalk: DingtalkChannel | None = None
    sms: SmsChannel | None = None


class NotificationConfig(Model):
    """configure_notifications: the company's channels and which of them each kind of
    notice goes to (`routes` sent replaces every route; a kind without one: inbox only)."""

    channels: NotificationChannels | None = None
    routes: dict[NoticeKind, list[NoticeChannel]] | None = None


class NotificationQuery(Page):
    unread: bool | None = None


class NotificationView(BaseModel):
    id: UUID
    kind: NoticeKind
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    read: bool


class TestNotice(Model):
    """send_test_notice: a notice of `kind` to yourself, over that kind's route; with
    `channel`, over that one channel only (routed or not), to test it."""

    kind: NoticeKind = NoticeKind.task_overdue
    channel: NoticeChannel | None = None


# --- Clocks ------------------------------------------------------------------------------

TASK_REMINDER = "task.reminder"          # due soon: the owner
TASK_OVERDUE = "task.overdue"            # at the deadline: the owner and their manager
TASK_ESCALATED = "task.escalated"        # further along the chain (e.g. the director)
CUSTOMER_SILENT = "customer.silent"      # N days without a follow-up
RECYCLE_WARNING = "customer.recycle_warning"   # the pool takes it in a day
RECYCLE_DUE = "customer.recycle_due"     # the leads service releases it to the pool


class Alert(BaseModel):
    """Payload of the clock events: who should hear about what."""

    company_id: UUID
    project_id: UUID
    customer_id: UUID
    task_id: UUID | None = None
    kind: str
    title: str
    recipients: list[UUID]
    owner_id: UUID | None
    level: int = 0
    at: datetime
    reason: str | None = None


# --- Campaigns: delivering a customers campaign (campaign.started) to its recipients ------

CAMPAIGN_DELIVERY_PROGRESS = "campaign.delivery_progress"


class CampaignProgress(BaseModel):
    """Payload of campaign.delivery_progress (tasks → customers): the counts so far.
    `revision` grows with every report, so a late report never overwrites a newer one."""

    campaign_id: UUID
    company_id: UUID
    recipients: int      # resolved so far (all of them once `resolved`)
    delivered: int       # the channel took it (SMS provider accepted; consultant notified)
    failed: int          # given up after the last retry
    not_sent: int        # no SMS channel or no phone, or opted out before the send
    pending: int
    resolved: bool       # every page of recipients has been read
    finished: bool       # resolved and nothing pending
    revision: int
    at: datetime
