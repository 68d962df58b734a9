"""Leads schema: leads, the company-wide customer index for dedupe (a customer's primary
phone and its extra phones), round-robin state, idempotency keys, and read copies of the
directory's projects and consultants."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    delete,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import Select

from kit import clock
from kit.db import Prepared
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import projects_table, revoked_tokens_table, users_table

SCHEMA = "leads"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)
    if TYPE_CHECKING:   # each model maps a table of its own (not a join or a select)
        __table__: ClassVar[Table]


metadata = Base.metadata
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
Users = users_table(metadata)
RevokedTokens = revoked_tokens_table(metadata)
Projects = projects_table(metadata)


class CustomerKey(Base):
    """One row per person per company: the phone's blind index names the customer."""

    __tablename__ = "customer_keys"
    __table_args__ = (
        UniqueConstraint("company_id", "phone_index"),
        Index("ix_customer_keys_owner", "owner_id"),
        Index("ix_customer_keys_pool", "project_id", "released_at",
              postgresql_where=text("owner_id IS NULL")),
        Index("ix_customer_keys_merged_into", "merged_into",
              postgresql_where=text("merged_into IS NOT NULL")),
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    phone_index: Mapped[str] = mapped_column(String(64))
    first_lead_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The home project, and what the pool shows without opening the customer.
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str | None] = mapped_column(String(50))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    grade: Mapped[str | None] = mapped_column(String(2))
    owner_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    previous_owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_reason: Mapped[str | None] = mapped_column(Text)
    # Bumped on every change of owner; events carry it so copies apply changes in order.
    owner_revision: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Merged into another customer (customer.merged): this phone now finds the survivor.
    merged_into: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class PhoneAlias(Base):
    """Another phone of a customer (a spouse's, a second SIM), from customers'
    customer.phone_added: its blind index finds the customer as the primary phone does.
    Only the ciphertext-free forms are kept: the index and the masked number."""

    __tablename__ = "phone_aliases"
    __table_args__ = (UniqueConstraint("company_id", "phone_index"),
                      Index("ix_phone_aliases_customer", "customer_id"))
    phone_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    phone_index: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    phone_masked: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RemovedPhone(Base):
    """A removed extra phone, by id: an addition arriving after its own removal (events of
    two types travel on two queues) is then not taken for a new phone. No phone data."""

    __tablename__ = "removed_phones"
    phone_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    removed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lead(Base):
    __tablename__ = "leads"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    channel: Mapped[str] = mapped_column(String(30))
    sub_source: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(50))
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    assignment_strategy: Mapped[str] = mapped_column(String(30))
    assignment_reason: Mapped[str] = mapped_column(Text)
    # The demand portrait as the channel gave it, and how the lead arrived.
    city: Mapped[str | None] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(50))
    budget_min: Mapped[int | None] = mapped_column(BigInteger)
    budget_max: Mapped[int | None] = mapped_column(BigInteger)
    layout: Mapped[str | None] = mapped_column(String(20))
    area_min: Mapped[int | None] = mapped_column(Integer)
    area_max: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(20))
    referrer_customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    grade: Mapped[str | None] = mapped_column(String(2))
    grade_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), server_default="manual")
    external_id: Mapped[str | None] = mapped_column(String(100))
    import_job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectSettings(Base):
    """Per-project lead rules (contracts.leads.ProjectLeadSettings as JSON)."""

    __tablename__ = "project_settings"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    settings: Mapped[dict] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class PoolAction(Base):
    """Every claim, release, assignment from and recycling into the pool."""

    __tablename__ = "pool_actions"
    __table_args__ = (Index("ix_pool_actions_actor_day", "actor_id", "action", "at"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    previous_owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Registration(Base):
    """A channel agent's claim on a customer (报备), protected for a period."""

    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_phone", "company_id", "phone_index"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    phone_index: Mapped[str] = mapped_column(String(64))
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_masked: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str] = mapped_column(String(50))
    agent_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    visit_protect_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deal_protect_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class Ruling(Base):
    """判客: who a customer is attributed to, by which rule, and why."""

    __tablename__ = "rulings"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    registration_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    outcome: Mapped[str] = mapped_column(String(30))
    attributed_to: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    rule: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Channel(Base):
    """An external platform account that may post signed webhooks (its id is the key id)."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("company_id", "code"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    secret_enc: Mapped[str] = mapped_column(Text)
    default_project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    mapping: Mapped[dict] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportJob(Base):
    __tablename__ = "import_jobs"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    mapping: Mapped[dict] = mapped_column(JSONB)
    total: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    merged: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rejected: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportRow(Base):
    """One line of an import's report: what happened to row N and why."""

    __tablename__ = "import_rows"
    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(50))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Offer(Base):
    """Grab mode (抢单): a lead offered to a group; the first claim wins."""

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_open_expiry", "expires_at",
                            postgresql_where=text("status = 'open'")),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    candidate_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    status: Mapped[str] = mapped_column(String(20))
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReceptionSlot(Base):
    """Sales-office walk-in rotation (轮岗接待): who receives the next visitor."""

    __tablename__ = "reception_queue"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Rotation(Base):
    """Round-robin cursor per project."""

    __tablename__ = "rotations"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    last_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Handover(Base):
    """A departure's handover (离职交接; its id is the directory's offboarding id) or a bulk
    reassignment (批量转移): the plan, and counters the batches keep."""

    __tablename__ = "handovers"
    __table_args__ = (UniqueConstraint("company_id", "idempotency_key"),
                      Index("ix_handovers_moving", "requested_at",
                            postgresql_where=text("status = 'moving'")))
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(20))          # departure | reassign
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))   # the leaver
    # Round-robin spreads over this team's consultants (the leaver's; a manager's own team
    # for a reassignment); None: each customer's owner's team.
    team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    plan: Mapped[dict] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(String(50))
    requested_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))        # moving | done
    total: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    moved: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    skipped: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HandoverItem(Base):
    """One customer of a handover and its planned new owner (None: the pool), decided when
    the job was made, so a crash and a retry finish the same plan."""

    __tablename__ = "handover_items"
    __table_args__ = (Index("ix_handover_items_pending", "handover_id", "ordinal",
                            postgresql_where=text("status = 'pending'")),
                      Index("ix_handover_items_customer", "customer_id"))
    handover_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    from_owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    planned_owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(20))        # pending | moved | skipped
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # as moved
    replanned: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    note: Mapped[str | None] = mapped_column(Text)         # why re-planned, pooled, skipped
    moved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PhoneCheckCount(Base):
    """录入's known-phone checks per user and window: the rate limit that keeps the check
    from being a way to enumerate numbers (domain.PHONE_CHECK_LIMIT)."""

    __tablename__ = "phone_check_counts"
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


def count_phone_check(session: Session, user_id: uuid.UUID, window_start: datetime) -> int:
    """Count one more check of the user in the window (atomically); the count so far.
    Windows older than a day are dropped on the way."""
    session.execute(delete(PhoneCheckCount).where(
        PhoneCheckCount.user_id == user_id,
        PhoneCheckCount.window_start < window_start - timedelta(days=1)))
    stmt = insert(PhoneCheckCount).values(user_id=user_id, window_start=window_start, count=1)
    counted = stmt.on_conflict_do_update(
        index_elements=["user_id", "window_start"],
        set_={"count": PhoneCheckCount.count + 1}).returning(PhoneCheckCount.count)
    return session.execute(counted).scalar_one()


def user_name(session: Session, user_id: uuid.UUID | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(select(Users.c.name).where(Users.c.id == user_id)).scalar()


def claim_customer_key(session: Session, company_id: uuid.UUID, phone_index: str,
                       customer_id: uuid.UUID, lead_id: uuid.UUID, *,
                       project_id: uuid.UUID | None = None, name: str | None = None,
                       phone_masked: str | None = None) -> CustomerKey | None:
    """Insert the key if the phone is new to the company; None when it already existed.

    A concurrent insert of the same phone waits on the unique index and then sees the
    conflict, so exactly one request creates the customer."""
    row = _CLAIM_KEY.execute(session, customer_id=customer_id, company_id=company_id,
                             phone_index=phone_index, first_lead_id=lead_id,
                             created_at=clock.now(), project_id=project_id, name=name,
                             phone_masked=phone_masked).first()
    return session.get(CustomerKey, row.customer_id) if row else None


_CLAIM_KEY = Prepared(
    insert(CustomerKey).values({name: bindparam(name) for name in (
        "customer_id", "company_id", "phone_index", "first_lead_id", "created_at",
        "project_id", "name", "phone_masked")})
    .on_conflict_do_nothing(index_elements=["company_id", "phone_index"])
    .returning(CustomerKey.customer_id))


def phone_customers(session: Session, company_id: uuid.UUID, indexes: list[str]
                    ) -> dict[str, tuple[uuid.UUID, uuid.UUID | None]]:
    """Which customer each phone leads to, as (customer_id, owner_id): the customer whose
    primary phone it is, else the one it is an extra phone (alias) of; a merged customer's
    phones lead to its survivor. Phones nobody has are left out."""
    if not indexes:
        return {}
    rows = session.execute(_phone_customers(), {"company_id": company_id,
                                                "indexes": list(indexes)})
    return {row.phone_index: (row.customer_id, row.owner_id) for row in rows}


@functools.cache
def _phone_customers() -> Select[Any]:
    """phone_customers' statement, built once (building and keying it cost more than
    running it): bind `company_id` and the list `indexes`."""
    k, a = CustomerKey.__table__.c, PhoneAlias.__table__.c
    company: BindParameter[uuid.UUID] = bindparam("company_id")
    indexes: BindParameter[list[str]] = bindparam("indexes", expanding=True)
    found = union_all(
        select(k.phone_index, k.customer_id, literal(0).label("alias"))
        .where(k.company_id == company, k.phone_index.in_(indexes)),
        select(a.phone_index, a.customer_id, literal(1).label("alias"))
        .where(a.company_id == company, a.phone_index.in_(indexes))).subquery()
    keys = CustomerKey.__table__.alias("key")
    survivors = CustomerKey.__table__.alias("survivor")
    merged = keys.c.merged_into.is_not(None) & survivors.c.customer_id.is_not(None)
    return (
        select(found.c.phone_index,
               case((merged, survivors.c.customer_id), else_=keys.c.customer_id)
               .label("customer_id"),
               case((merged, survivors.c.owner_id), else_=keys.c.owner_id).label("owner_id"))
        .select_from(found.join(keys, keys.c.customer_id == found.c.customer_id)
                     .outerjoin(survivors, survivors.c.customer_id == keys.c.merged_into))
        .order_by(found.c.alias.desc()))   # a primary phone, coming last, wins


def customer_for_phone(session: Session, company_id: uuid.UUID,
                       phone_index: str) -> CustomerKey | None:
    """The key of the customer this phone leads to (see phone_customers), or None."""
    found = phone_customers(session, company_id, [phone_index]).get(phone_index)
    return session.get(CustomerKey, found[0]) if found else None


def phones_of(session: Session, key: CustomerKey) -> set[str]:
    """Every phone that leads to this customer: its own, those of customers merged into it,
    and their extra phones."""
    ids = {key.customer_id}
    indexes = {key.phone_index}
    for merged in session.execute(select(CustomerKey.customer_id, CustomerKey.phone_index)
                                  .where(CustomerKey.merged_into == key.customer_id)):
        ids.add(merged.customer_id)
        indexes.add(merged.phone_index)
    indexes.update(session.scalars(select(PhoneAlias.phone_index).where(
        PhoneAlias.company_id == key.company_id, PhoneAlias.customer_id.in_(ids))))
    return indexes


def survivor_key(session: Session, key: CustomerKey | None) -> CustomerKey | None:
    """The key a phone leads to: a merged customer's key leads to its survivor's."""
    if key is None or key.merged_into is None:
        return key
    return session.get(CustomerKey, key.merged_into) or key


def assignable_consultants(session: Session, project_id: uuid.UUID) -> list[uuid.UUID]:
    u = Users.c
    return list(session.scalars(
        select(u.id).where(u.role == "consultant", u.active.is_(True), u.on_duty.is_(True),
                           u.project_ids.any(project_id))
        .order_by(u.id)))


def project_consultants(session: Session, project_id: uuid.UUID) -> list[uuid.UUID]:
    """The project's active consultants, on duty or not (whom its rules may name)."""
    u = Users.c
    return list(session.scalars(
        select(u.id).where(u.role == "consultant", u.active.is_(True),
                           u.project_ids.any(project_id))))


def project(session: Session, project_id: uuid.UUID):
    return session.execute(select(Projects).where(Projects.c.id == project_id)).first()


_ROTATION = Prepared(insert(Rotation).values(project_id=bindparam("project_id"),
                                             last_user_id=None).on_conflict_do_nothing())


def lock_rotation(session: Session, project_id: uuid.UUID) -> Rotation:
    _ROTATION.execute(session, project_id=project_id)
    return session.get_one(Rotation, project_id, with_for_update=True, populate_existing=True)


_PROJECT_AND_SETTINGS = text(
    "SELECT p.company_id, s.settings FROM leads.projects p "
    "LEFT JOIN leads.project_settings s ON s.project_id = p.id WHERE p.id = :id")


def project_and_settings(session: Session, project_id: uuid.UUID):
    """(the project's company, its lead rules) in one round trip; (None, None) for a project
    the copy does not know."""
    row = session.execute(_PROJECT_AND_SETTINGS, {"id": project_id}).first()
    if row is None:
        return None, None
    return row.company_id, _rules(row.settings)


def project_settings(session: Session, project_id: uuid.UUID):
    """The project's lead rules, or the defaults when nobody configured them yet."""
    row = session.get(ProjectSettings, project_id)
    return _rules(row.settings if row else None)


def _rules(stored: dict | None):
    """Stored lead rules as the model, the defaults where nobody configured them yet."""
    from contracts.leads import ProjectLeadSettings

    return ProjectLeadSettings.model_validate(stored) if stored is not None \
        else ProjectLeadSettings()


def open_customer_counts(session: Session, owners: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    from sqlalchemy import func

    rows = session.execute(select(CustomerKey.owner_id, func.count())
                           .where(CustomerKey.owner_id.in_(owners),
                                  CustomerKey.merged_into.is_(None))
                           .group_by(CustomerKey.owner_id))
    return {owner: count for owner, count in rows}



# A lead row as intake writes it, compiled once (every column: the ORM's unit of work cost
# a third of an insert's CPU here).
NEW_LEAD = Prepared(insert(Lead).values({column.name: bindparam(column.name)
                                         for column in Lead.__table__.columns}))
NEW_IDEMPOTENCY_KEY = Prepared(insert(IdempotencyKey).values(
    {column.name: bindparam(column.name) for column in IdempotencyKey.__table__.columns}))
