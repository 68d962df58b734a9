"""Customers schema: the customer profile, the audit of personal-data access, and a read copy
of directory users (for team scope)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Prepared
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import revoked_tokens_table, users_table
from kit.scope import Visibility, where_visible

SCHEMA = "customers"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)
    if TYPE_CHECKING:   # each model maps a table of its own (not a join or a select)
        __table__: ClassVar[Table]


metadata = Base.metadata
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
Users = users_table(metadata)
RevokedTokens = revoked_tokens_table(metadata)


# Segment indexes (built CONCURRENTLY by customers_0006; declared here so autogenerate sees
# them): partial over live customers, covering what counting and listing read.
LIVE = text("erased_at IS NULL AND merged_into IS NULL")
SEGMENT_PAYLOAD = ("id", "stage", "stage_entered_at", "project_id", "owner_id",
                   "last_followup_at", "created_at")


def _segment_index(name: str, *keys: str) -> Index:
    return Index(name, *keys, postgresql_where=LIVE,
                 postgresql_include=[c for c in SEGMENT_PAYLOAD if c not in keys])


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_company_owner", "company_id", "owner_id", "created_at"),
        Index("ix_customers_company_project", "company_id", "project_id", "created_at"),
        Index("ix_customers_phone_index", "company_id", "phone_index"),
        _segment_index("ix_customers_segment_stage", "company_id", "stage", "stage_entered_at"),
        _segment_index("ix_customers_segment_owner", "company_id", "owner_id", "created_at"),
        _segment_index("ix_customers_segment_created", "company_id", "created_at", "id"),
        Index("ix_customers_segment_followup", "company_id", "last_followup_at",
              postgresql_where=LIVE),
        Index("ix_customers_segment_portrait", "portrait", postgresql_using="gin",
              postgresql_ops={"portrait": "jsonb_path_ops"}),
        # The team list (CustomersService.list) counted and paged from the index alone
        # (customers_0014).
        Index("ix_customers_list_owner", "company_id", "owner_id",
              postgresql_where=text("merged_into IS NULL"),
              postgresql_include=["created_at", "id", "stage", "grade", "completeness",
                                  "last_followup_at", "project_id"]),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(50))
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_index: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    stage: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(30))
    sub_source: Mapped[str | None] = mapped_column(String(100))
    first_lead_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The leads service decides ownership (assignment and pool); this follows its revision.
    owner_revision: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    stage_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_followup_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deal_amount: Mapped[int | None] = mapped_column(BigInteger)
    deal_unit: Mapped[str | None] = mapped_column(String(50))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    # The profile a consultant fills in (PATCH), and how complete it is.
    portrait: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    wechat_enc: Mapped[str | None] = mapped_column(Text)
    completeness: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # 客户等级 A–D: from the leads' grading (the best of them) until a person sets it.
    grade: Mapped[str | None] = mapped_column(String(1))
    grade_set_by: Mapped[str | None] = mapped_column(String(10))   # "lead" | "person"
    # 老带新: who referred this customer, and where the referrer's reward stands.
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    referral_reward: Mapped[str | None] = mapped_column(String(20))
    # PIPL Art. 24: one click opts a customer out of automated marketing.
    marketing_opt_out: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Erasure keeps the row for aggregate statistics with every personal field removed.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class CustomerPhone(Base):
    """Another number of the same person (the profile's `phone` stays the primary one), in
    the same form: ciphertext, blind index (unique in the company: one number, one person),
    masked."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("company_id", "phone_index",
                                       name="uq_customer_phones_index"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_index: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(20))
    added_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StageChange(Base):
    """Every move along the funnel: who, when, and how long the customer sat before."""

    __tablename__ = "stage_changes"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    seconds_in_previous: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    deal_amount: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(50))


class Followup(Base):
    """A logged contact: call, WeChat, SMS, visit or viewing (带看, with the units shown)."""

    __tablename__ = "followups"
    __table_args__ = (UniqueConstraint("customer_id", "client_id"),
                      Index("ix_followups_customer_at", "customer_id", "at"))
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    type: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(200))
    next_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    units: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerTag(Base):
    """A tag on a customer: a dimension's value, or a free tag (dimension '')."""

    __tablename__ = "customer_tags"
    __table_args__ = (Index("ix_customer_tags_lookup", "dimension", "value"),
                      Index("ix_customer_tags_segment", "dimension", "value", "customer_id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(String(50), primary_key=True)


class TagDimension(Base):
    __tablename__ = "tag_dimensions"
    __table_args__ = (UniqueConstraint("company_id", "code"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    values: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    multi: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class History(Base):
    """Every change to a profile: who, when, what (personal data shown masked)."""

    __tablename__ = "history"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changes: Mapped[dict] = mapped_column(JSONB)


class ProjectFunnel(Base):
    """A project's funnel (contracts.customers.FunnelConfig); absent = the standard one."""

    __tablename__ = "project_funnels"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    stages: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    # stage → the project's own name for it (absent: the standard label)
    labels: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class ProjectProfileFields(Base):
    """Which profile fields a project requires and which it counts as optional
    (contracts.customers.ProfileFields); absent = the standard set. Completeness of the
    project's customers is recomputed in the background when it changes: `revision` counts
    the changes, `recomputed_revision` is the one every customer reflects, and
    `recompute_after` the last customer id done of the one under way."""

    __tablename__ = "project_profile_fields"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    required: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    optional: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    revision: Mapped[int] = mapped_column(Integer)
    recomputed_revision: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    recompute_after: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Attachment(Base):
    """A file attached to a follow-up, kept by a Storage backend under `storage_key`."""

    __tablename__ = "attachments"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    followup_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """What a customer agreed to, when, and through which channel (PIPL)."""

    __tablename__ = "consents"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(30))
    evidence: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Segment(Base):
    """A saved filter over the customer base (for re-marketing)."""

    __tablename__ = "segments"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    name: Mapped[str] = mapped_column(String(100))
    filter: Mapped[dict] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("campaigns_idempotency_key", "company_id", "created_by", "idempotency_key",
              unique=True, postgresql_where=text("idempotency_key IS NOT NULL")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    segment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    skipped_opted_out: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Delivery as the notification service reports it (campaign.delivery_progress).
    delivered: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    not_sent: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    progress_revision: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The starter's Idempotency-Key (unique per starter) and what was asked with it.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))


class Merge(Base):
    """Two records found to be one person: what moved to the survivor, by whom, why."""

    __tablename__ = "merges"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    survivor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PiiAudit(Base):
    """Every reveal of personal data (PIPL Art. 51/56)."""

    __tablename__ = "pii_audit"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    actor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def scoped(stmt: Select, vis: Visibility) -> Select:
    """Restrict a customer query to what the actor may see."""
    return where_visible(stmt, vis, company_col=Customer.company_id,
                         owner_col=Customer.owner_id, project_col=Customer.project_id,
                         users=Users)


def tags_of(session, customer_ids) -> dict:
    """customer id → dimension code → values ('' = free tags), in a stable order."""
    found: dict = defaultdict(lambda: defaultdict(list))
    for row in session.scalars(select(CustomerTag).where(
            CustomerTag.customer_id.in_(list(customer_ids)))
            .order_by(CustomerTag.dimension, CustomerTag.value)):
        found[row.customer_id][row.dimension].append(row.value)
    return found


# A customer made from a lead, compiled once (SQLAlchemy cannot cache ON CONFLICT).
NEW_CUSTOMER = Prepared(insert(Customer).values({name: bindparam(name) for name in (
    "id", "company_id", "project_id", "name", "phone_enc", "phone_index", "phone_masked",
    "owner_id", "stage", "channel", "first_lead_id", "created_at", "updated_at", "version",
    "stage_entered_at", "portrait", "completeness", "sub_source", "grade", "grade_set_by",
    "referrer_id", "referral_reward")}).on_conflict_do_nothing().returning(Customer.id))
