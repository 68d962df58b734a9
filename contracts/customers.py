"""Customers: the profile every other part reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
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
    tag: str | None = Field(default=None, max_length=80, pattern=r"^[^:]*:.+$")  # dim:value


class Gender(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class AgeBand(StrEnum):
    under_25 = "<25"
    from_25 = "25-34"
    from_35 = "35-44"
    from_45 = "45-54"
    over_55 = "55+"


Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class Portrait(Model):
    """The editable profile (PATCH /api/customers/<id>); every field optional."""

    name: Label | None = None
    gender: Gender | None = None
    age_band: AgeBand | None = None
    wechat: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                             max_length=40)] | None = None
    budget_min: Annotated[int, Field(ge=0, le=100_000_000_000)] | None = None
    budget_max: Annotated[int, Field(ge=0, le=100_000_000_000)] | None = None
    area_min: Annotated[int, Field(ge=1, le=100_000)] | None = None
    area_max: Annotated[int, Field(ge=1, le=100_000)] | None = None
    layouts: list[Label] | None = Field(default=None, max_length=10)
    districts: list[Label] | None = Field(default=None, max_length=10)
    purpose: Literal["self_use", "investment", "school_district", "upgrade"] | None = None
    tags: dict[Label, list[Label]] | None = None     # dimension code → values
    free_tags: list[Label] | None = Field(default=None, max_length=30)


class CustomerPatch(Portrait):
    version: int = Field(ge=1)   # the version you read: a stale one gets 409


class TagDimension(Model):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,29}$")]
    name: Label
    values: list[Label] = Field(min_length=1, max_length=100)
    multi: bool = True


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
    version: int = 1
    completeness: int = 0            # 客户信息完善率, percent
    portrait: dict = Field(default_factory=dict)
    tags: dict[str, list[str]] = Field(default_factory=dict)
    free_tags: list[str] = Field(default_factory=list)


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
