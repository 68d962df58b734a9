"""Leads schema: leads, the company-wide customer index for dedupe, round-robin state,
idempotency keys, and read copies of the directory's projects and consultants."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kit import clock
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import projects_table, users_table

SCHEMA = "leads"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


metadata = Base.metadata
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
Users = users_table(metadata)
Projects = projects_table(metadata)


class CustomerKey(Base):
    """One row per person per company: the phone's blind index names the customer."""

    __tablename__ = "customer_keys"
    __table_args__ = (UniqueConstraint("company_id", "phone_index"),)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    phone_index: Mapped[str] = mapped_column(String(64))
    first_lead_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Rotation(Base):
    """Round-robin cursor per project."""

    __tablename__ = "rotations"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    last_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def claim_customer_key(session: Session, company_id: uuid.UUID, phone_index: str,
                       customer_id: uuid.UUID, lead_id: uuid.UUID) -> CustomerKey | None:
    """Insert the key if the phone is new to the company; None when it already existed.

    A concurrent insert of the same phone waits on the unique index and then sees the
    conflict, so exactly one request creates the customer."""
    row = session.execute(
        insert(CustomerKey).values(customer_id=customer_id, company_id=company_id,
                                   phone_index=phone_index, first_lead_id=lead_id,
                                   created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["company_id", "phone_index"])
        .returning(CustomerKey.customer_id)
    ).first()
    return session.get(CustomerKey, row.customer_id) if row else None


def existing_customer_key(session: Session, company_id: uuid.UUID,
                          phone_index: str) -> CustomerKey:
    return session.scalars(select(CustomerKey).where(
        CustomerKey.company_id == company_id, CustomerKey.phone_index == phone_index)).one()


def assignable_consultants(session: Session, project_id: uuid.UUID) -> list[uuid.UUID]:
    u = Users.c
    return list(session.scalars(
        select(u.id).where(u.role == "consultant", u.active.is_(True), u.on_duty.is_(True),
                           u.project_ids.any(project_id))
        .order_by(u.id)))


def project(session: Session, project_id: uuid.UUID):
    return session.execute(select(Projects).where(Projects.c.id == project_id)).first()


def lock_rotation(session: Session, project_id: uuid.UUID) -> Rotation:
    session.execute(insert(Rotation).values(project_id=project_id, last_user_id=None)
                    .on_conflict_do_nothing())
    return session.get(Rotation, project_id, with_for_update=True, populate_existing=True)
