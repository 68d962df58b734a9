"""What every Keyuan Nameko service class is built from."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc as nameko_rpc
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from contracts.actor import Actor, Role
from contracts.errors import Forbidden, KeyuanError
from kit import auth, outbox
from kit.crypto import Vault
from kit.db import Database
from kit.metrics import Metrics
from kit.outbox import OutboxRelay


def rpc(method):
    """@rpc whose KeyuanError refusals (bad input, no access) are expected outcomes: Nameko
    logs them as warnings, not as errors with a traceback."""
    return nameko_rpc(expected_exceptions=KeyuanError)(method)


class Keys:
    """Settings-derived secrets a worker needs: token verification and the PII vault."""

    def __init__(self, settings):
        self.settings = settings
        self.vault = Vault.from_settings(settings)

    def actor(self, token: object, *roles: Role) -> Actor:
        """Verify the caller's signed token; optionally require one of `roles`."""
        actor = auth.verify(token, self.settings.secret_key)
        if roles and actor.role not in roles:
            raise Forbidden(f"role {actor.role.value} may not do this")
        return actor


class KeysProvider(DependencyProvider):
    def setup(self) -> None:
        self.keys = Keys(self.container.config["KEYUAN_SETTINGS"])

    def get_dependency(self, worker_ctx) -> Keys:
        return self.keys


class KeyuanService:
    """Base of every service: its database session, outbox relay, metrics and keys.

    A subclass sets `name`, `outbox_table` and `inbox_table` (from its store)."""

    name: str
    outbox_table: Any
    inbox_table: Any

    db = Database()
    relay = OutboxRelay()
    metrics = Metrics()
    keys = KeysProvider()

    def emit(self, event_type: str, payload: Any, correlation_id: str | None = None):
        """Record an event in this worker's transaction; the relay publishes it after commit."""
        return outbox.record(self.db, self.outbox_table, self.name, event_type, payload,
                             correlation_id)

    @rpc
    def ping(self) -> dict:
        """Alive, and can it reach its database? A down database is 'degraded', not an error."""
        try:
            self.db.execute(text("SELECT 1"))
            database = "ok"
        except SQLAlchemyError:
            database = "down"
        return {"service": self.name, "status": "ok" if database == "ok" else "degraded",
                "database": database}
