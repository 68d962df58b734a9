"""Leads: intake, dedupe, assignment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.common import EncryptedPhone, Model, Name, Note

SERVICE = "leads"

LEAD_CREATED = "lead.created"
LEAD_ASSIGNED = "lead.assigned"
CUSTOMER_CLAIMED = "customer.claimed"      # out of the pool: claimed or assigned
CUSTOMER_RELEASED = "customer.released"    # into the pool: released or recycled
REGISTRATION_CREATED = "registration.created"   # 报备
RULING_MADE = "ruling.made"                     # 判客


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
    def _budget_ordered(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("budget_min")
        if value is not None and low is not None and value < low:
            raise ValueError("budget_max must not be below budget_min")
        return value

    @field_validator("area_max")
    @classmethod
    def _area_ordered(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("area_min")
        if value is not None and low is not None and value < low:
            raise ValueError("area_max must not be below area_min")
        return value


GRADABLE_FIELDS = ("budget_min", "budget_max", "area_min", "area_max", "purpose", "layout",
                   "district", "city", "channel")


class GradeCondition(Model):
    """One test over a lead field: gte/lte on numbers, eq/in on values, present."""

    field: Literal[GRADABLE_FIELDS]  # type: ignore[valid-type]
    op: Literal["gte", "lte", "eq", "in", "present"]
    value: int | str | list[str] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        if self.op in ("gte", "lte") and not isinstance(self.value, int):
            raise ValueError(f"{self.op} needs a number")
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError("in needs a list")
        if self.op == "eq" and self.value is None:
            raise ValueError("eq needs a value")
        return self


class GradeRule(Model):
    grade: Annotated[str, StringConstraints(pattern=r"^[A-D]$")]
    when: list[GradeCondition] = Field(min_length=1)
    label: Annotated[str, StringConstraints(max_length=100)] | None = None


class AssignmentSettings(Model):
    strategy: Literal["round_robin", "region", "load", "grab"] = "round_robin"
    regions: dict[str, list[UUID]] = Field(default_factory=dict)   # district → consultants
    load_cap: Annotated[int, Field(ge=1, le=100_000)] | None = None
    # 抢单: offered to every on-duty consultant; nobody grabs within the window → round-robin.
    grab_window_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 10


class ProtectionSettings(Model):
    visit_days: Annotated[int, Field(ge=1, le=90)] = 7
    deal_days: Annotated[int, Field(ge=1, le=365)] = 30


class PoolSettings(Model):
    daily_claim_cap: Annotated[int, Field(ge=0, le=1000)] = 5
    cooling_days: Annotated[int, Field(ge=0, le=365)] = 7


def default_grading() -> list[GradeRule]:
    return [
        GradeRule(grade="A", label="预算达标且自住/改善/学区", when=[
            GradeCondition(field="budget_min", op="gte", value=3_000_000),
            GradeCondition(field="purpose", op="in",
                           value=["self_use", "upgrade", "school_district"])]),
        GradeRule(grade="B", label="有预算", when=[
            GradeCondition(field="budget_min", op="present")]),
    ]


class ProjectLeadSettings(Model):
    """Per-project lead rules, editable by the project's director or an admin."""

    required_fields: list[Literal[PORTRAIT_FIELDS]] = Field(  # type: ignore[valid-type]
        default_factory=list)
    grading: list[GradeRule] = Field(default_factory=default_grading)
    default_grade: Annotated[str, StringConstraints(pattern=r"^[A-D]$")] = "C"
    assignment: AssignmentSettings = Field(default_factory=AssignmentSettings)
    protection: ProtectionSettings = Field(default_factory=ProtectionSettings)
    pool: PoolSettings = Field(default_factory=PoolSettings)


class LeadAccepted(BaseModel):
    """What POST /api/leads answers."""

    lead_id: UUID
    customer_id: UUID
    status: Literal["created", "duplicate"]
    owner_id: UUID | None
    assignment_reason: str
    grade: str | None = None


class LeadPortrait(BaseModel):
    """What the lead said of the buyer's wishes (on lead.created): the customers service
    starts a new customer's profile from it."""

    city: str | None = None
    district: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    layout: str | None = None
    area_min: int | None = None
    area_max: int | None = None
    purpose: Purpose | None = None

    @classmethod
    def of(cls, lead: dict[str, Any]) -> LeadPortrait | None:
        """The portrait fields of a lead (None when it carries none)."""
        found = {k: lead.get(k) for k in cls.model_fields if lead.get(k) not in (None, "")}
        return cls(**found) if found else None


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
    agent_id: UUID | None = None   # the channel agent the customer is attributed to (判客)
    portrait: LeadPortrait | None = None
    referrer_customer_id: UUID | None = None   # 老带新: the existing customer who referred


class LeadAssigned(BaseModel):
    """Payload of lead.assigned: who got it and why."""

    lead_id: UUID
    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    strategy: str
    reason: str = Field(max_length=500)


class PoolQuery(Model):
    project_id: UUID | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=200)


class Release(Model):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                             max_length=200)]


class PoolAssignment(Model):
    owner_id: UUID


class OwnershipChanged(BaseModel):
    """Payload of customer.claimed and customer.released. (A handover's moves, owner to
    owner or into the pool, travel in batches: contracts.handover.HandedOver.)"""

    customer_id: UUID
    company_id: UUID
    project_id: UUID | None
    owner_id: UUID | None
    previous_owner_id: UUID | None
    action: Literal["claim", "assign", "release", "recycle", "grab", "grab_fallback"]
    by: UUID | None
    reason: str | None
    at: datetime
    owner_revision: int


class NewRegistration(Model):
    """A channel agent registers (报备) a customer they will bring to a project."""

    name: Name
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]
    project_id: UUID
    agency: Annotated[str, StringConstraints(max_length=100)] | None = None
    note: Note | None = None


class RegistrationView(BaseModel):
    id: UUID
    project_id: UUID
    customer_name: str
    phone: str
    agent_id: UUID
    agency: str | None
    status: Literal["active", "visited", "expired"]
    registered_at: datetime
    visit_protect_until: datetime
    deal_protect_until: datetime | None
    visited_at: datetime | None


class RegistrationCreated(BaseModel):
    registration_id: UUID
    company_id: UUID
    project_id: UUID
    agent_id: UUID
    agency: str | None
    phone_index: str
    registered_at: datetime
    visit_protect_until: datetime


class RulingMade(BaseModel):
    """Payload of ruling.made: who a customer is attributed to, by which rule, and why."""

    ruling_id: UUID
    company_id: UUID
    customer_id: UUID
    lead_id: UUID | None
    registration_id: UUID | None
    outcome: Literal["agent", "natural", "existing_customer"]
    attributed_to: UUID | None
    rule: str
    reason: str
    decided_at: datetime


class OfferView(BaseModel):
    id: UUID
    customer_id: UUID
    project_id: UUID
    name: str | None
    phone: str | None
    grade: str | None
    offered_at: datetime
    expires_at: datetime


class PhoneCheck(Model):
    """录入: is this phone already a customer of the project's company? (before submitting)"""

    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]
    project_id: UUID


class PhoneCheckResult(BaseModel):
    """Staff of the project learn whose customer the phone is, nothing more: no name of the
    customer, no number, no id unless the customer is the asker's own."""

    known: bool
    mine: bool = False
    owner_name: str | None = None    # the owning consultant; None with in_pool
    in_pool: bool = False
    customer_id: UUID | None = None  # only for the asker's own customer
    checks_left: int                 # in this window (see PHONE_CHECK_LIMIT)
