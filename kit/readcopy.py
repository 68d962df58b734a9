"""Read copies of the directory's facts, kept by events.

A fact carries its entity's revision; an older revision than the one held is ignored, so
redelivered or reordered events never roll a copy back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Boolean, Column, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Session

from contracts import directory
from contracts.envelope import Envelope
from kit.inbox import handles


def users_table(metadata: MetaData) -> Table:
    return Table(
        "users", metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("company_id", UUID(as_uuid=True), nullable=False, index=True),
        Column("name", String(50), nullable=False),
        Column("role", String(20), nullable=False),
        Column("team_id", UUID(as_uuid=True), index=True),
        Column("project_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("on_duty", Boolean, nullable=False),
        Column("revision", Integer, nullable=False),
    )


def projects_table(metadata: MetaData) -> Table:
    return Table(
        "projects", metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("company_id", UUID(as_uuid=True), nullable=False, index=True),
        Column("name", String(100), nullable=False),
        Column("city", String(50), nullable=False),
        Column("revision", Integer, nullable=False),
    )


def upsert_newer(session: Session, table: Table, values: dict[str, Any]) -> None:
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"},
        where=table.c.revision < stmt.excluded.revision,
    )
    session.execute(stmt)


class KeepsUserCopy:
    """Mixin for a service that keeps `users_table` from directory user.upserted events."""

    users_table: Table

    @handles(directory.SERVICE, directory.USER_UPSERTED)
    def on_user_upserted(self, session: Session, env: Envelope) -> None:
        fact = directory.UserFact.model_validate(env.payload)
        upsert_newer(session, type(self).users_table, fact.model_dump())


class KeepsProjectCopy:
    """Mixin for a service that keeps `projects_table` from directory project.upserted."""

    projects_table: Table

    @handles(directory.SERVICE, directory.PROJECT_UPSERTED)
    def on_project_upserted(self, session: Session, env: Envelope) -> None:
        fact = directory.ProjectFact.model_validate(env.payload)
        upsert_newer(session, type(self).projects_table, fact.model_dump())
