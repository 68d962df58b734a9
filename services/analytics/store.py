"""Analytics schema: daily counters per company, project, metric and channel."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Date, Integer, MetaData, String, Table, bindparam
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kit.db import Prepared
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import revoked_tokens_table, users_table

SCHEMA = "analytics"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)
    if TYPE_CHECKING:   # each model maps a table of its own (not a join or a select)
        __table__: ClassVar[Table]


metadata = Base.metadata
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
# Who may ask (the callers are authorised from these copies).
Users = users_table(metadata)
RevokedTokens = revoked_tokens_table(metadata)


class DailyCount(Base):
    __tablename__ = "daily_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


_NEW_COUNT = insert(DailyCount).values(
    day=bindparam("day"), company_id=bindparam("company_id"),
    project_id=bindparam("project_id"), metric=bindparam("metric"),
    channel=bindparam("channel"), count=bindparam("count"))
_BUMP = Prepared(_NEW_COUNT.on_conflict_do_update(
    index_elements=["day", "company_id", "project_id", "metric", "channel"],
    set_={"count": DailyCount.count + _NEW_COUNT.excluded.count}))


def bump(session: Session, day: date, company_id, project_id, metric: str,
         channel: str = "", by: int = 1) -> None:
    _BUMP.execute(session, day=day, company_id=company_id, project_id=project_id,
                  metric=metric, channel=channel, count=by)


def bump_many(session: Session, counts) -> None:
    """Add each (day, company, project, metric, channel) → n of `counts` to its counter,
    in key order (two batches bumping the same counters wait for each other, never
    deadlock)."""
    _BUMP.execute_many(session, [
        {"day": day, "company_id": company, "project_id": project, "metric": metric,
         "channel": channel, "count": n}
        for (day, company, project, metric, channel), n in sorted(
            counts.items(), key=lambda item: tuple(map(str, item[0]))) if n])
