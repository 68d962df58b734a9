"""The database dependency: an SQLAlchemy 2 engine per service container (built in setup(),
never at import) and a session per worker, closed in worker_teardown."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

import kit  # noqa: F401  (sets PSYCOPG_WAIT_FUNC before psycopg loads)


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
