"""The transactional outbox: events are rows written in the same transaction as the change;
a relay publishes them with publisher confirms and marks them sent.

Nameko's own dispatcher raises when the broker is down and the broker drops events no queue
is bound to yet, so the relay publishes with `mandatory` and keeps a returned event for a
later try instead of marking it sent."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import amqp
import eventlet
from eventlet.event import Event
from kombu import Connection, Exchange
from prometheus_client import Counter, Gauge
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, sessionmaker

from contracts.envelope import Envelope
from kit import clock
from kit.db import ON_OUTBOX_COMMIT, OUTBOX_WRITTEN, make_engine
from kit.dependency import Provides

if TYPE_CHECKING:
    from nameko.containers import WorkerContext

log = logging.getLogger(__name__)

PUBLISHED = Counter("keyuan_outbox_published_total", "Events published from the outbox",
                    ["service", "event_type"])
UNROUTED = Counter("keyuan_outbox_unrouted_total",
                   "Events the broker returned because no queue was bound yet", ["service"])
FAILURES = Counter("keyuan_outbox_publish_failures_total", "Publish attempts that failed",
                   ["service"])
PENDING = Gauge("keyuan_outbox_pending", "Events waiting in the outbox", ["service"])

BATCH = 200
MAX_BACKOFF = timedelta(seconds=30)
# `keyuan migrate` declares every subscriber's queue, so an event still unroutable after this
# many tries (about a minute) has no subscriber at all: it is closed, not retried forever.
MAX_UNROUTED_ATTEMPTS = 8


UNROUTABLE = "unroutable"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Column("sent_at", DateTime(timezone=True)),
        Index("ix_outbox_unsent", "next_attempt_at", postgresql_where=text("sent_at IS NULL")),
    )


def envelope(producer: str, event_type: str, payload: dict[str, Any],
             correlation_id: str | None = None) -> Envelope:
    return Envelope(id=uuid.uuid4(), type=event_type, occurred_at=clock.now(),
                    producer=producer, correlation_id=correlation_id, payload=payload)


def row(producer: str, event_type: str, payload: Any, now: datetime | None = None,
        correlation_id: str | None = None) -> dict[str, Any]:
    """An outbox row for an event: insert many at once where a batch makes many events."""
    data = payload.model_dump(mode="json") if hasattr(payload, "model_dump") else payload
    return _row(envelope(producer, event_type, data, correlation_id), now or clock.now())


def _row(env: Envelope, now: datetime) -> dict[str, Any]:
    return {"id": env.id, "event_type": env.type, "envelope": env.model_dump(mode="json"),
            "created_at": now, "next_attempt_at": now}


def record(session: Session, table: Table, producer: str, event_type: str, payload: Any,
           correlation_id: str | None = None) -> Envelope:
    """Add an event to the outbox in the caller's transaction."""
    data = payload.model_dump(mode="json") if hasattr(payload, "model_dump") else payload
    env = envelope(producer, event_type, data, correlation_id)
    session.execute(table.insert(), _row(env, clock.now()))
    written(session)
    return env


def written(session: Session) -> None:
    """Note that this transaction wrote outbox rows: the service's relay is woken when it
    commits (kit.db.Database), instead of polling for them."""
    session.info[OUTBOX_WRITTEN] = True




def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=0.5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def events_exchange(service: str) -> Exchange:
    # The same declaration Nameko's EventDispatcher/EventHandler make.
    return Exchange(f"{service}.events", type="topic", durable=True, delivery_mode=2)


class _ConfirmedPublisher:
    """One channel in confirm mode that publishes a whole batch, then waits for the broker's
    confirms together (one round trip a batch, not one a message). Returned messages
    (mandatory, no queue bound) arrive before their confirm and are reported as unroutable."""

    def __init__(self, amqp_uri: str, exchange: Exchange):
        self.connection = Connection(amqp_uri, heartbeat=0)
        self.connection.connect()
        self.channel = self.connection.connection.channel()
        exchange(self.channel).declare()
        self.exchange = exchange.name
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)
        self.next_tag = 1
        self.waiting: dict[int, str] = {}
        self.outcome: dict[str, str | None] = {}

    def _settle(self, tag: int, multiple: bool, verdict: str | None) -> None:
        for waiting_tag in [t for t in self.waiting if t == tag or (multiple and t <= tag)]:
            message_id = self.waiting.pop(waiting_tag)
            self.outcome.setdefault(message_id, verdict)

    def _on_ack(self, delivery_tag: int, multiple: bool = False) -> None:
        self._settle(delivery_tag, multiple, None)

    def _on_nack(self, delivery_tag: int, multiple: bool = False) -> None:
        self._settle(delivery_tag, multiple, "publish failed: the broker refused it")

    def _on_return(self, exception: Exception, exchange: str, routing_key: str,
                   message: amqp.Message) -> None:
        message_id = message.properties.get("message_id")
        if message_id:
            self.outcome[message_id] = f"{UNROUTABLE}: no queue bound for this event yet"

    def publish_all(self, rows: Sequence[Row[Any]],
                    timeout: float = 10.0) -> dict[str, str | None]:
        """{message id: None if confirmed and routed, else why not}."""
        self.outcome = {}
        for row in rows:
            message_id = str(row.id)
            body = row.body.encode()
            self.channel.basic_publish(
                amqp.Message(body, content_type="application/json", content_encoding="utf-8",
                             delivery_mode=2, message_id=message_id),
                exchange=self.exchange, routing_key=row.event_type, mandatory=True)
            self.waiting[self.next_tag] = message_id
            self.next_tag += 1
        deadline = time.monotonic() + timeout
        while self.waiting and time.monotonic() < deadline:
            with contextlib.suppress(socket.timeout, TimeoutError):
                self.connection.drain_events(timeout=max(0.01, deadline - time.monotonic()))
        for message_id in self.waiting.values():
            self.outcome.setdefault(message_id, "publish failed: no confirm from the broker")
        self.waiting.clear()
        return self.outcome

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.release()


class Relay:
    """Publishes a service's outbox. Safe to run in any number of replicas (SKIP LOCKED)."""

    def __init__(self, service: str, table: Table, make_session: sessionmaker[Session],
                 amqp_uri: str) -> None:
        self.service = service
        self.table = table
        self.make_session = make_session
        self.amqp_uri = amqp_uri
        self.exchange = events_exchange(service)
        self._publisher: _ConfirmedPublisher | None = None
        # Plain SQL, the envelope as the JSON text it is published as (a relay runs these
        # for every batch: no statement building, no JSON parsed and dumped again).
        outbox = f"{table.schema}.{table.name}" if table.schema else table.name
        self._due = text(
            f"SELECT id, event_type, envelope::text AS body, attempts FROM {outbox} "
            "WHERE sent_at IS NULL AND next_attempt_at <= :now ORDER BY created_at "
            "LIMIT :limit FOR UPDATE SKIP LOCKED")
        self._sent = text(f"UPDATE {outbox} SET sent_at = :at, attempts = attempts + 1 "
                          "WHERE id = ANY(CAST(:ids AS uuid[]))")

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
        self._publisher = None

    def publish_batch(self) -> int:
        """Publish one batch of due events; returns how many were sent."""
        now = clock.now()
        with self.make_session() as session, session.begin():
            rows = session.execute(self._due, {"now": now, "limit": BATCH}).all()
            if not rows:
                return 0
            outcomes = self._publish(rows)
            sent = [row for row in rows if outcomes.get(str(row.id)) is None]
            if sent:
                session.execute(self._sent, {"ids": [row.id for row in sent],
                                             "at": clock.now()})
            for row in sent:
                PUBLISHED.labels(self.service, row.event_type).inc()
            for row in rows:
                outcome = outcomes.get(str(row.id))
                if outcome is not None:
                    self._keep_for_later(session, row, outcome)
        return len(sent)

    def _publish(self, rows: Sequence[Row[Any]]) -> dict[str, str | None]:
        try:
            if self._publisher is None:
                self._publisher = _ConfirmedPublisher(self.amqp_uri, self.exchange)
            return self._publisher.publish_all(rows)
        except Exception as exc:
            FAILURES.labels(self.service).inc()
            log.warning("outbox publish failed: %s", exc)
            self.close()
            return {str(row.id): f"publish failed: {exc}" for row in rows}

    def _keep_for_later(self, session: Session, row: Row[Any], outcome: str) -> None:
        attempts = row.attempts + 1
        if outcome.startswith(UNROUTABLE):
            UNROUTED.labels(self.service).inc()
        if outcome.startswith(UNROUTABLE) and attempts >= MAX_UNROUTED_ATTEMPTS:
            session.execute(update(self.table).where(self.table.c.id == row.id).values(
                attempts=attempts, sent_at=clock.now(),
                last_error=f"{outcome}; closed after {attempts} tries: "
                           "no service subscribes to it"))
            return
        session.execute(update(self.table).where(self.table.c.id == row.id).values(
            attempts=attempts, last_error=outcome[:500],
            next_attempt_at=clock.now() + backoff(attempts)))

    def pending(self) -> int:
        with self.make_session() as session:
            count: int = session.execute(text(
                f"SELECT count(*) FROM {self.table.schema}.outbox WHERE sent_at IS NULL")
            ).scalar_one()
            return count


class OutboxRelay(Provides["OutboxRelay"]):
    """Runs the relay inside a service process: woken when a transaction of this process
    that wrote outbox rows commits (kit.outbox.written), and on a slow poll for the rest
    (retries after a backoff, rows written by other processes)."""

    poll_seconds = 1.0

    def setup(self) -> None:
        self.wakeup = Event()
        self.running = False
        self.gt = None

    def start(self) -> None:
        settings = self.container.config["KEYUAN_SETTINGS"]
        service = self.container.service_name
        table: Table | None = getattr(self.container.service_cls, "outbox_table", None)
        if table is None:
            raise RuntimeError(f"{service} sets no outbox_table (kit.service.Worker)")
        engine = make_engine(settings.database_url_for(service), pool_size=1)
        self.engine = engine
        self.relay = Relay(service, table, sessionmaker(engine), settings.amqp_uri)
        self.running = True
        ON_OUTBOX_COMMIT.append(self.wake)
        self.gt = self.container.spawn_managed_thread(self._run)

    def wake(self) -> None:
        if not self.wakeup.ready():
            self.wakeup.send()

    # Woken again within this long of its last batch, the relay waits out the rest of it:
    # commits close together go out in one batch (one SELECT, one UPDATE, one commit, one
    # round of confirms) rather than one batch each. An idle relay publishes at once.
    gather_seconds = 0.02

    def _run(self) -> None:
        last_batch = 0.0
        while self.running:
            since = time.monotonic() - last_batch
            if since < self.gather_seconds:
                eventlet.sleep(self.gather_seconds - since)
            last_batch = time.monotonic()
            try:
                while self.running and self.relay.publish_batch() >= BATCH:
                    pass
            except Exception:
                log.exception("outbox relay batch failed")
            self.wakeup.wait(self.poll_seconds)
            if self.wakeup.ready():
                self.wakeup.reset()

    def _forget(self) -> None:
        with contextlib.suppress(ValueError):
            ON_OUTBOX_COMMIT.remove(self.wake)

    def stop(self) -> None:
        self._forget()
        self.running = False
        if not self.wakeup.ready():
            self.wakeup.send()
        if self.gt is not None:
            self.gt.wait()
        self.relay.close()
        self.engine.dispose()

    def kill(self) -> None:
        self._forget()
        self.running = False
        if self.gt is not None:
            self.gt.kill()
        self.relay.close()
        self.engine.dispose()

    def get_dependency(self, worker_ctx: WorkerContext) -> OutboxRelay:
        return self
