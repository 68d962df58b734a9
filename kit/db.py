"""The database dependency: an SQLAlchemy 2 engine per service container (built in setup(),
never at import) and a session per worker, closed in worker_teardown."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

import kit  # noqa: F401  (sets PSYCOPG_WAIT_FUNC before psycopg loads)


def locked_row(session: Session, model, key, **first):
    """The row of `model` with primary key `key`, locked FOR UPDATE for the caller's
    transaction; inserted from `first` (every NOT NULL column) when there is none yet. Two
    first writers at once do not collide: one inserts, the other waits for it and gets it."""
    names = [c.name for c in model.__table__.primary_key.columns]
    values = dict(zip(names, key if isinstance(key, tuple) else (key,), strict=True))
    session.execute(pg_insert(model).values(**values, **first).on_conflict_do_nothing())
    return session.get(model, key, with_for_update=True, populate_existing=True)


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 0) -> Engine:
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                         pool_pre_ping=True, pool_recycle=1800)


class Database(DependencyProvider):
    """Injects an SQLAlchemy Session; the entrypoint commits explicitly."""

    def setup(self) -> None:
        settings = self.container.config["KEYUAN_SETTINGS"]
        service = self.container.service_name
        self.engine = make_engine(settings.database_url_for(service),
                                  pool_size=settings.db_pool_size,
                                  max_overflow=settings.db_max_overflow)
        self.make_session = sessionmaker(self.engine, expire_on_commit=False)
        self.sessions: WeakKeyDictionary = WeakKeyDictionary()

    def get_dependency(self, worker_ctx) -> Session:
        session = self.make_session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()

    def stop(self) -> None:
        self.engine.dispose()

    kill = stop

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1
