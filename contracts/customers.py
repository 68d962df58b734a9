"""Customers: the profile every other part reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.common import Page

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
