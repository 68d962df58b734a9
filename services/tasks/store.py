"""Tasks schema: SOP tasks, and a read copy of directory users (for team scope)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    ARRAY,
    DateTime,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import revoked_tokens_table, users_table
from kit.scope import Visibility, where_visible

SCHEMA = "tasks"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)
    if TYPE_CHECKING:   # each model maps a table of its own (not a join or a select)
        __table__: ClassVar[Table]


metadata = Base.metadata
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
Users = users_table(metadata)
RevokedTokens = revoked_tokens_table(metadata)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # One task of a kind per customer per triggering event: redelivery cannot double it.
        UniqueConstraint("customer_id", "kind", "source_event_id"),
        Index("ix_tasks_owner_status_due", "company_id", "owner_id", "status", "due_at"),
        Index("ix_tasks_open_due", "due_at", postgresql_where=text("status = 'open'")),
        # The clock sweep: open tasks whose next reminder/alert is due.
        Index("ix_tasks_next_alert", "next_alert_at",
              postgresql_where=text("status = 'open' AND next_alert_at IS NOT NULL")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str | None] = mapped_column(Text)
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # Where the task came from in the SOP, what completes it, and its clocks.
    stage: Mapped[str | None] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(String(20), server_default="manual")
    followup_types: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    remind_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    escalation_level: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class SopTemplateRow(Base):
    """A project's SOP (contracts.tasks.SopTemplate as JSON); absent = the shipped default."""

    __tablename__ = "sop_templates"
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    template: Mapped[dict] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Activity(Base):
    """Per owned customer: the last progress, for no-follow-up warnings and recycling."""

    __tablename__ = "customer_activity"
    __table_args__ = (Index("ix_activity_due", "last_activity_at",
                            postgresql_where=text("owner_id IS NOT NULL")),)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    stage: Mapped[str] = mapped_column(String(20))
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_progress_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recycle_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def overdue(now):
    """domain.is_overdue as SQL: open and past its deadline."""
    return (Task.status == "open") & (Task.due_at < now)


def scoped(stmt: Select, vis: Visibility) -> Select:
    return where_visible(stmt, vis, company_col=Task.company_id, owner_col=Task.owner_id,
                         project_col=Task.project_id, users=Users)
