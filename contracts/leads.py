"""Leads: intake, dedupe, assignment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

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


class NewLead(Model):
    """What a client posts to POST /api/leads."""

    name: Name
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]
    channel: Channel
    project_id: UUID
    sub_source: Annotated[str, StringConstraints(max_length=100)] | None = None
    note: Note | None = None


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


class LeadAssigned(BaseModel):
    """Payload of lead.assigned: who got it and why."""

    lead_id: UUID
    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    strategy: str
    reason: str = Field(max_length=500)
