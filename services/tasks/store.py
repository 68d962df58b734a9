"""Tasks schema: SOP tasks, and a read copy of directory users (for team scope)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, MetaData, Select, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import users_table
from kit.scope import Visibility, where_visible

SCHEMA = "tasks"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


metadata = Base.metadata
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
Users = users_table(metadata)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # One task of a kind per customer per triggering event: redelivery cannot double it.
        UniqueConstraint("customer_id", "kind", "source_event_id"),
        Index("ix_tasks_owner_status_due", "company_id", "owner_id", "status", "due_at"),
        Index("ix_tasks_open_due", "due_at", postgresql_where=text("status = 'open'")),
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


def scoped(stmt: Select, vis: Visibility) -> Select:
    return where_visible(stmt, vis, company_col=Task.company_id, owner_col=Task.owner_id,
                         project_col=Task.project_id, users=Users)
