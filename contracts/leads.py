"""Leads: intake, dedupe, assignment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, field_validator

from contracts.common import EncryptedPhone, Model, Name, Note

SERVICE = "leads"

LEAD_CREATED = "lead.created"
LEAD_ASSIGNED = "lead.assigned"


class Channel(StrEnum):
    douyin = "douyin"
    beike = "beike"
    mini_program = "mini_program"
    website = "website"
    agency = "agency"
    walk_in = "walk_in"
    referral = "referral"
    phone_call = "phone_call"
    manual = "manual"
    other = "other"


class Purpose(StrEnum):
    self_use = "self_use"                 # 自住
    investment = "investment"             # 投资
    school_district = "school_district"   # 学区
    upgrade = "upgrade"                   # 改善


Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Yuan = Annotated[int, Field(ge=0, le=100_000_000_000)]
SquareMetres = Annotated[int, Field(ge=1, le=100_000)]

# Fields a project may make required (ProjectLeadSettings.required_fields).
PORTRAIT_FIELDS = ("city", "district", "budget_min", "budget_max", "layout", "area_min",
                   "area_max", "purpose", "note", "sub_source")


class NewLead(Model):
    """What a client posts to POST /api/leads (and what webhooks and imports map to)."""

    name: Name
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]
    channel: Channel
    project_id: UUID
    sub_source: Annotated[str, StringConstraints(max_length=100)] | None = None
    note: Note | None = None
    city: Short | None = None
    district: Short | None = None
    budget_min: Yuan | None = None
    budget_max: Yuan | None = None
    layout: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=20)] | None = None
    area_min: SquareMetres | None = None
    area_max: SquareMetres | None = None
    purpose: Purpose | None = None
    referrer_customer_id: UUID | None = None   # 老带新: the existing customer who referred
    agent_id: UUID | None = None               # 报备: the registering channel agent

    @field_validator("budget_max")
    @classmethod
    def _budget_ordered(cls, value, info):
        low = info.data.get("budget_min")
        if value is not None and low is not None and value < low:
            raise ValueError("budget_max must not be below budget_min")
        return value

    @field_validator("area_max")
    @classmethod
    def _area_ordered(cls, value, info):
        low = info.data.get("area_min")
        if value is not None and low is not None and value < low:
            raise ValueError("area_max must not be below area_min")
        return value


class LeadAccepted(BaseModel):
    """What POST /api/leads answers."""

    lead_id: UUID
    customer_id: UUID
    status: Literal["created", "duplicate"]
    owner_id: UUID | None
    assignment_reason: str


class LeadCreated(BaseModel):
    """Payload of lead.created. A duplicate lead names the existing customer."""

    lead_id: UUID
    customer_id: UUID
    company_id: UUID
    project_id: UUID
    channel: Channel
    sub_source: str | None
    name: str
    phone: EncryptedPhone
    duplicate: bool
    owner_id: UUID | None
    created_at: datetime
    grade: str | None = None
    source: str = "manual"


class LeadAssigned(BaseModel):
    """Payload of lead.assigned: who got it and why."""

    lead_id: UUID
    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    strategy: str
    reason: str = Field(max_length=500)
