"""What every Keyuan Nameko service class is built from."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange
from sqlalchemy import Table, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from contracts.actor import Actor, Role
from contracts.envelope import Envelope
from contracts.errors import Forbidden, KeyuanError
from kit import auth, outbox
from kit.crypto import Vault
from kit.db import Database
from kit.dependency import Provides
from kit.metrics import Metrics
from kit.outbox import OutboxRelay

if TYPE_CHECKING:
    from nameko.containers import WorkerContext

    from kit.settings import Settings

class _ReplyPublisher(Publisher):
    """Replies go out transient and unconfirmed: a reply queue is the caller's own, not
    durable, and a caller whose reply is lost times out as it would were the service slow.
    A confirm per reply cost each RPC a broker round trip and its CPU."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT


class _Responder(Responder):
    publisher_cls = _ReplyPublisher


class _RpcConsumer(RpcConsumer):
    def handle_result(self, message: Any, result: Any, exc_info: Any) -> Any:
        config = self.container.config
        responder = _Responder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


F = TypeVar("F", bound=Callable[..., Any])


def rpc(method: F) -> F:
    """@rpc whose KeyuanError refusals (bad input, no access) are expected outcomes: Nameko
    logs them as warnings, not as errors with a traceback. Every RPC of a service must be
    declared with it (one consumer of the service's queue)."""
    return _Rpc.decorator(expected_exceptions=KeyuanError)(method)


class KnowsCallers(Protocol):
    """What a service answers about its callers (kit.readcopy.KeepsUserCopy from its read
    copy; the directory from its own tables)."""

    def caller_record(self, user_id: uuid.UUID, jti: str) -> tuple[Any, bool]:
        """The user's fact as held (None: unknown) and whether token `jti` is revoked."""

    def read_through(self, token: str, held: Any) -> Any:
        """The user's fact fetched from the directory (and kept), or None."""


class Keys:
    """Settings-derived secrets a worker needs (the PII vault) and who its caller is."""

    def __init__(self, settings: Settings, vault: Vault | None = None,
                 service: KnowsCallers | None = None) -> None:
        self.settings = settings
        self.vault = vault or Vault.from_settings(settings)
        self._service = service

    def bound(self, service: KnowsCallers) -> Keys:
        """These keys for one worker of `service` (its session is looked up at call time)."""
        return Keys(self.settings, self.vault, service)

    def actor(self, token: object, *roles: Role) -> Actor:
        """The caller as the directory knows them now; optionally one of `roles`.

        The token must be validly signed, unexpired and for no special purpose; then the
        service's own read copy decides: a user the directory does not know, an inactive
        one, a token logged out, a company or role that is not the user's are all refused
        (Unauthenticated). Role, team, projects and scopes come from the copy, not the
        claims. A copy that does not know the user yet, or holds an older revision than the
        token's `rev`, reads the fact through from the directory first."""
        claimed, claims = auth.verified(token, self.settings.secret_key)
        if self._service is None:
            raise RuntimeError("Keys.actor needs a service's worker (KeysProvider)")
        fact, revoked = self._service.caller_record(claimed.user_id, claims["jti"])
        if fact is None or fact.revision < _revision(claims):
            fact = self._service.read_through(str(token), fact)   # verified(): a str
        actor = auth.authorise(claimed, fact, revoked)
        if roles and actor.role not in roles:
            raise Forbidden(f"role {actor.role.value} may not do this")
        return actor


def _revision(claims: dict[str, Any]) -> int:
    rev = claims.get("rev", 0)
    return rev if isinstance(rev, int) and not isinstance(rev, bool) else 0


class KeysProvider(Provides[Keys]):
    def setup(self) -> None:
        self.keys = Keys(self.container.config["KEYUAN_SETTINGS"])

    def get_dependency(self, worker_ctx: WorkerContext) -> Keys:
        return self.keys.bound(worker_ctx.service)


class Worker:
    """What `self` is inside an entrypoint: the service's name and tables, and its
    dependencies as Nameko injects them on each worker (`db` a Session, `keys` the bound
    Keys...). KeyuanService declares the providers; every entrypoint mixin subclasses Worker
    so that what it uses of the service is typed. Adds nothing at run time but `emit`."""

    name: str
    outbox_table: Table
    inbox_table: Table

    db: Session
    relay: OutboxRelay
    metrics: None
    keys: Keys

    def emit(self, event_type: str, payload: Any, correlation_id: str | None = None) -> Envelope:
        """Record an event in this worker's transaction; the relay publishes it after commit."""
        return outbox.record(self.db, self.outbox_table, self.name, event_type, payload,
                             correlation_id)


class KeyuanService(Worker):
    """Base of every service: its database session, outbox relay, metrics and keys.

    A subclass sets `name`, `outbox_table` and `inbox_table` (from its store), and knows its
    callers (KnowsCallers: kit.readcopy.KeepsUserCopy and KeepsRevokedTokens)."""

    db = Database()
    relay = OutboxRelay()
    metrics = Metrics()
    keys = KeysProvider()

    def caller_record(self, user_id: uuid.UUID, jti: str) -> tuple[Any, bool]:
        raise NotImplementedError(f"{self.name} keeps no users copy (kit.readcopy.KeepsUserCopy)")

    def read_through(self, token: str, held: Any) -> Any:
        raise NotImplementedError(f"{self.name} keeps no users copy (kit.readcopy.KeepsUserCopy)")

    @rpc
    def ping(self) -> dict[str, str]:
        """Alive, and can it reach its database? A down database is 'degraded', not an error."""
        try:
            self.db.execute(text("SELECT 1"))
            database = "ok"
        except SQLAlchemyError:
            database = "down"
        return {"service": self.name, "status": "ok" if database == "ok" else "degraded",
                "database": database}
