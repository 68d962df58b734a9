"""The database dependency: an SQLAlchemy 2 engine per service container (built in setup(),
never at import) and a session per worker, closed in worker_teardown."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from weakref import WeakKeyDictionary

from psycopg import sql
from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, CursorResult, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import ClauseElement

import kit  # noqa: F401  (sets PSYCOPG_WAIT_FUNC before psycopg loads)
from kit.dependency import Provides

if TYPE_CHECKING:
    import psycopg
    from nameko.containers import WorkerContext
    from sqlalchemy.sql.compiler import SQLCompiler

M = TypeVar("M", bound=DeclarativeBase)
T = TypeVar("T")


def locked_row(session: Session, model: type[M], key: object, **first: object) -> M:
    """The row of `model` with primary key `key`, locked FOR UPDATE for the caller's
    transaction; inserted from `first` (every NOT NULL column) when there is none yet. Two
    first writers at once do not collide: one inserts, the other waits for it and gets it."""
    names = [c.name for c in model.__table__.primary_key]
    values = dict(zip(names, key if isinstance(key, tuple) else (key,), strict=True))
    session.execute(pg_insert(model).values(**values, **first).on_conflict_do_nothing())
    row = session.get(model, key, with_for_update=True, populate_existing=True)
    if row is None:   # inserted above, or by the writer we waited for
        raise LookupError(f"{model.__name__} {key!r} vanished while being locked")
    return row


def copy_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY rows (dicts with the same keys) into `table` in the session's transaction: a
    batch goes in at COPY speed rather than statement by statement (JSON values wrapped in
    psycopg's Jsonb)."""
    if not rows:
        return
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(*filter(None, (table.schema, table.name))),
        sql.SQL(", ").join(sql.Identifier(name) for name in columns))
    raw = session.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("the session's connection is closed")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


# A pooled connection idle longer than this is pinged before use (a PostgreSQL restart or a
# firewall drops idle connections); a busy pool hands its connections out without that
# extra round trip on every checkout.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 0) -> Engine:
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                           pool_recycle=1800)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_idle_since(dbapi_connection: psycopg.Connection[Any],
                     record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: psycopg.Connection[Any], record: ConnectionPoolEntry,
                  proxy: PoolProxiedConnection) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:
        # The pool drops this connection and checks out a fresh one.
        raise DisconnectionError(f"idle connection is gone: {exc}") from exc


class Prepared:
    """A statement compiled once. SQLAlchemy 2.0 cannot cache PostgreSQL's INSERT ... ON
    CONFLICT (its dialect's Insert has no cache key), so each execution compiles it afresh:
    a fifth of an event consumer's CPU (bench/profile_lead_path.py). Build the statement
    with bindparam() placeholders; execute(session, **values) runs its SQL, compiled on the
    first call for the session's dialect, with the values. Values go to psycopg as they are
    (str, int, UUID, date, datetime, lists; wrap JSON in psycopg.types.json.Jsonb)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self.sql: str | None = None
        self.defaults: dict[str, Any] = {}

    def execute(self, session: Session, **values: Any) -> CursorResult[Any]:
        connection = session.connection()
        return connection.exec_driver_sql(self._sql(connection), {**self.defaults, **values})

    def execute_many(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """The statement once per row (psycopg's executemany: one round trip for all)."""
        if rows:
            connection = session.connection()
            sql = self._sql(connection)
            connection.exec_driver_sql(sql, [{**self.defaults, **row} for row in rows])

    def _sql(self, connection: Connection) -> str:
        if self.sql is None:
            compiled = cast("SQLCompiler", self.statement.compile(dialect=connection.dialect))
            self.defaults = {name: bind.effective_value
                             for bind, name in compiled.bind_names.items() if not bind.required}
            self.sql = str(compiled)
        return self.sql


def held_for_session(session: Session, name: str, key: Any,
                     load: Callable[[], T]) -> T:
    """load() once per session for `key` (an event handler's session covers one batch): a
    project's setup or SOP read once for all the batch's events, not once for each."""
    held: dict[Any, Any] = session.info.setdefault(f"keyuan.held.{name}", {})
    if key not in held:
        held[key] = load()
    return cast(T, held[key])


OUTBOX_WRITTEN = "keyuan.outbox_written"
# Called after any session of this process commits a transaction that wrote outbox rows
# (kit.outbox.written): the relays of the services running here.
ON_OUTBOX_COMMIT: list[Callable[[], None]] = []


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(OUTBOX_WRITTEN, False):
        for wake in list(ON_OUTBOX_COMMIT):
            wake()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(OUTBOX_WRITTEN, None)


class Database(Provides[Session]):
    """Injects an SQLAlchemy Session; the entrypoint commits explicitly."""

    def setup(self) -> None:
        settings = self.container.config["KEYUAN_SETTINGS"]
        service = self.container.service_name
        self.engine = make_engine(settings.database_url_for(service),
                                  pool_size=settings.db_pool_size,
                                  max_overflow=settings.db_max_overflow)
        self.make_session = sessionmaker(self.engine, expire_on_commit=False)
        self.sessions: WeakKeyDictionary[WorkerContext, Session] = WeakKeyDictionary()

    def get_dependency(self, worker_ctx: WorkerContext) -> Session:
        session = self.make_session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx: WorkerContext) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()

    def stop(self) -> None:
        self.engine.dispose()

    kill = stop

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1


def rowcount(result: Result[Any]) -> int:
    """The rows an INSERT, UPDATE or DELETE changed. SQLAlchemy 2.0 types Session.execute()
    as returning a Result; for those statements it is a CursorResult, which has the count."""
    return cast("CursorResult[Any]", result).rowcount
