"""Customers: the profile every other part reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from contracts.common import Model, Page

SERVICE = "customers"

CUSTOMER_CREATED = "customer.created"


class Stage(StrEnum):
    new = "new"                    # 新线索
    contacted = "contacted"        # 初步沟通
    invited = "invited"            # 邀约到访
    visited = "visited"            # 首次接访
    intent = "intent"              # 意向升级
    subscribed = "subscribed"      # 认筹
    signed = "signed"              # 签约
    invalid = "invalid"            # 无效
    lost = "lost"                  # 流失


STAGE_LABELS = {
    Stage.new: "新线索", Stage.contacted: "初步沟通", Stage.invited: "邀约到访",
    Stage.visited: "首次接访", Stage.intent: "意向升级", Stage.subscribed: "认筹",
    Stage.signed: "签约", Stage.invalid: "无效", Stage.lost: "流失",
}


class CustomerQuery(Page):
    stage: Stage | None = None
    project_id: UUID | None = None
    owner_id: UUID | None = None
    q: str | None = Field(default=None, max_length=50)


class CustomerView(BaseModel):
    id: UUID
    company_id: UUID
    project_id: UUID
    name: str
    phone: str
    phone_masked: bool
    owner_id: UUID | None
    stage: Stage
    stage_label: str
    channel: str
    created_at: datetime
    updated_at: datetime


class CustomerCreated(BaseModel):
    """Payload of customer.created."""

    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    lead_id: UUID
    channel: str
    stage: Stage
    created_at: datetime


CUSTOMER_STAGE_CHANGED = "customer.stage_changed"
FOLLOWUP_LOGGED = "followup.logged"

# The default funnel, in order; invalid and lost are off-ramps from any open stage.
FUNNEL = (Stage.new, Stage.contacted, Stage.invited, Stage.visited, Stage.intent,
          Stage.subscribed, Stage.signed)
OFF_RAMPS = (Stage.invalid, Stage.lost)


class StageMove(Model):
    """POST /api/customers/<id>/stage."""

    stage: Stage
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    deal_amount: Annotated[int, Field(gt=0, le=100_000_000_000)] | None = None   # yuan
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=50)] | None = None


class StageChanged(BaseModel):
    """Payload of customer.stage_changed."""

    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    from_stage: Stage
    to_stage: Stage
    seconds_in_previous: int
    actor_id: UUID
    at: datetime
    reason: str | None = None
    deal_amount: int | None = None
    unit: str | None = None


class FollowupType(StrEnum):
    call = "call"          # 电话
    wechat = "wechat"      # 微信
    sms = "sms"            # 短信
    visit = "visit"        # 到访
    viewing = "viewing"    # 带看
    other = "other"


class NewFollowup(Model):
    """POST /api/customers/<id>/followups."""

    type: FollowupType
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=2000)]
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    next_contact_at: datetime | None = None
    units: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=50)]] = Field(default_factory=list,
                                                                          max_length=20)
    client_id: UUID | None = None   # a client's retry key: the same id twice logs once


class FollowupLogged(BaseModel):
    """Payload of followup.logged."""

    followup_id: UUID
    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    actor_id: UUID
    type: FollowupType
    at: datetime
    next_contact_at: datetime | None = None
