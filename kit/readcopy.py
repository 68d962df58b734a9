"""Read copies of the directory's facts, kept by events.

A fact carries its entity's revision; an older revision than the one held is ignored, so
redelivered or reordered events never roll a copy back.

The users copy is also what a service authorises its callers from (kit.service.Keys.actor):
KeepsUserCopy answers who the caller is now and, when its copy has not heard of them yet or
holds an older revision than their token's, reads their fact through from the directory;
KeepsRevokedTokens keeps the tokens logged out before their expiry."""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import datetime
from typing import Any, cast

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy
from nameko.timer import timer
from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    delete,
    exists,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Session

from contracts import directory
from contracts.envelope import Envelope
from contracts.errors import ServiceUnavailable
from kit import clock
from kit.db import rowcount
from kit.inbox import handles
from kit.service import Worker

log = logging.getLogger(__name__)

# Logged-out tokens are kept until they would have expired; the pruning timer's period and
# batch (every replica may run it).
PRUNE_INTERVAL_SECONDS = 300
PRUNE_BATCH = 1000


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
        # Effective scopes (the role's and any granted), as the directory computes them.
        Column("scopes", ARRAY(String(50)), nullable=False, server_default=text("'{}'")),
    )


def revoked_tokens_table(metadata: MetaData) -> Table:
    """Tokens logged out before their expiry (token.revoked), by their jti."""
    return Table(
        "revoked_tokens", metadata,
        Column("jti", String(64), primary_key=True),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
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


def upsert_newer(session: Session | Connection, table: Table, values: dict[str, Any]) -> None:
    """Insert or update the copy unless it holds a newer revision. Fields of the fact that
    this copy does not keep are left out (a copy keeps what its service needs)."""
    values = {k: v for k, v in values.items() if k in table.c}
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"},
        where=table.c.revision < stmt.excluded.revision,
    )
    session.execute(stmt)


@functools.cache
def _caller_statement(users: Table, revoked: Table) -> Select[Any]:
    """One row always: whether the jti is revoked, and the user's columns (NULL if unknown).
    Built once per service (its cache key is then computed once, not per RPC)."""
    flag = select(exists().where(revoked.c.jti == bindparam("jti")).label("revoked")) \
        .subquery()
    return select(flag.c.revoked, *users.c) \
        .select_from(flag.outerjoin(users, users.c.id == bindparam("user_id")))


def caller_record(session: Session, users: Table, revoked: Table, user_id: uuid.UUID,
                  jti: str) -> tuple[Any, bool]:
    """The copy's row of the user (None when it does not know them) and whether the token
    `jti` was logged out: one primary-key read of each, in one statement."""
    row = session.execute(_caller_statement(users, revoked),
                          {"user_id": user_id, "jti": jti}).one()
    return (row if row.id is not None else None), bool(row.revoked)


def prune_revoked(session: Session, table: Table, now: datetime,
                  batch: int = PRUNE_BATCH) -> int:
    """Forget logged-out tokens that have expired anyway, batch by batch (SKIP LOCKED: any
    number of replicas may prune at once). Commits each batch."""
    pruned = 0
    while True:
        due = select(table.c.jti).where(table.c.expires_at <= now) \
            .limit(batch).with_for_update(skip_locked=True).scalar_subquery()
        gone = rowcount(session.execute(delete(table).where(table.c.jti.in_(due))))
        session.commit()
        pruned += gone
        if gone < batch:
            return pruned


class KeepsUserCopy(Worker):
    """Mixin for a service that keeps `users_table` from directory user.upserted events and
    authorises its callers from it (kit.service.Keys.actor asks caller_record, then
    read_through when the copy cannot answer for the token yet)."""

    users_table: Table
    revoked_tokens_table: Table

    directory_rpc = RpcProxy(directory.SERVICE)

    @handles(directory.SERVICE, directory.USER_UPSERTED)
    def on_user_upserted(self, session: Session, env: Envelope) -> None:
        fact = directory.UserFact.model_validate(env.payload)
        upsert_newer(session, type(self).users_table, fact.model_dump())

    def caller_record(self, user_id: uuid.UUID, jti: str) -> tuple[Any, bool]:
        cls = type(self)
        return caller_record(self.db, cls.users_table, cls.revoked_tokens_table, user_id, jti)

    def read_through(self, token: str, held: Any) -> Any:
        """The caller's fact from the directory (directory.user_fact of the token's own
        user), kept in the copy as user.upserted would keep it; None when the directory
        does not know them. The copy's row `held` if it is newer after all."""
        timeout = self.keys.settings.rpc_timeout_seconds
        try:
            reply = self.directory_rpc.user_fact.call_async(token)
            with eventlet.Timeout(timeout):
                payload = reply.result()
        except eventlet.Timeout:
            raise ServiceUnavailable(f"the directory did not answer within {timeout:g}s, so "
                                     "who you are cannot be checked; try again") from None
        except UnknownService:
            raise ServiceUnavailable("the directory is not running, so who you are cannot "
                                     "be checked; try again") from None
        except RemoteError as exc:
            if exc.exc_type == "Unauthenticated":
                return None
            raise
        fact = directory.UserFact.model_validate(payload)
        # Its own transaction: the caller's may be read-only and is never committed.
        with cast(Engine, self.db.get_bind()).begin() as conn:   # kit.db.Database's engine
            upsert_newer(conn, type(self).users_table, fact.model_dump())
        log.info("%s read user %s through from the directory (revision %d)",
                 type(self).name, fact.id, fact.revision)
        return held if held is not None and held.revision > fact.revision else fact


class KeepsRevokedTokens(Worker):
    """Mixin for a service that keeps `revoked_tokens_table` from directory token.revoked
    (logout) and forgets each token once it would have expired anyway."""

    revoked_tokens_table: Table

    @handles(directory.SERVICE, directory.TOKEN_REVOKED)
    def on_token_revoked(self, session: Session, env: Envelope) -> None:
        fact = directory.TokenRevoked.model_validate(env.payload)
        table = type(self).revoked_tokens_table
        session.execute(insert(table).values(jti=fact.jti, expires_at=fact.expires_at)
                        .on_conflict_do_nothing())

    @timer(interval=PRUNE_INTERVAL_SECONDS)
    def prune_revoked_tokens(self) -> None:
        prune_revoked(self.db, type(self).revoked_tokens_table, clock.now())


class KeepsProjectCopy(Worker):
    """Mixin for a service that keeps `projects_table` from directory project.upserted."""

    projects_table: Table

    @handles(directory.SERVICE, directory.PROJECT_UPSERTED)
    def on_project_upserted(self, session: Session, env: Envelope) -> None:
        fact = directory.ProjectFact.model_validate(env.payload)
        upsert_newer(session, type(self).projects_table, fact.model_dump())
