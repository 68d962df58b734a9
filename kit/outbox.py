"""The transactional outbox: events are rows written in the same transaction as the change;
a relay publishes them with publisher confirms and marks them sent.

Nameko's own dispatcher raises when the broker is down and the broker drops events no queue
is bound to yet, so the relay publishes with `mandatory` and keeps a returned event for a
later try instead of marking it sent."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any

from eventlet.event import Event
from kombu import Connection, Exchange, Producer
from nameko.extensions import DependencyProvider
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
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session, sessionmaker

from contracts.envelope import Envelope
from kit import clock
from kit.db import make_engine

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


def record(session: Session, table: Table, producer: str, event_type: str, payload: Any,
           correlation_id: str | None = None) -> Envelope:
    """Add an event to the outbox in the caller's transaction."""
    data = payload.model_dump(mode="json") if hasattr(payload, "model_dump") else payload
    env = envelope(producer, event_type, data, correlation_id)
    now = clock.now()
    session.execute(table.insert().values(
        id=env.id, event_type=event_type, envelope=env.model_dump(mode="json"),
        created_at=now, next_attempt_at=now))
    return env


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=0.5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def events_exchange(service: str) -> Exchange:
    # The same declaration Nameko's EventDispatcher/EventHandler make.
    return Exchange(f"{service}.events", type="topic", durable=True, delivery_mode=2)


class Relay:
    """Publishes a service's outbox. Safe to run in any number of replicas (SKIP LOCKED)."""

    def __init__(self, service: str, table: Table, make_session: sessionmaker, amqp_uri: str):
        self.service = service
        self.table = table
        self.make_session = make_session
        self.amqp_uri = amqp_uri
        self.exchange = events_exchange(service)
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._returned: set[str] = set()

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            self._connection = Connection(self.amqp_uri, transport_options={
                "confirm_publish": True}, heartbeat=0)
            channel = self._connection.channel()
            self._producer = Producer(channel, exchange=self.exchange, serializer="json",
                                      on_return=self._on_return)
            self.exchange(channel).declare()
        return self._producer

    def _on_return(self, exception, exchange, routing_key, message) -> None:
        self._returned.add(message.properties.get("message_id") or "")

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.release()
        self._connection = self._producer = None

    def publish_batch(self) -> int:
        """Publish one batch of due events; returns how many were sent."""
        now = clock.now()
        sent = 0
        with self.make_session() as session, session.begin():
            rows = session.execute(
                select(self.table.c.id, self.table.c.event_type, self.table.c.envelope,
                       self.table.c.attempts)
                .where(self.table.c.sent_at.is_(None), self.table.c.next_attempt_at <= now)
                .order_by(self.table.c.created_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                outcome = self._publish(row)
                if outcome is None:
                    session.execute(update(self.table).where(self.table.c.id == row.id)
                                    .values(sent_at=clock.now(), attempts=row.attempts + 1))
                    PUBLISHED.labels(self.service, row.event_type).inc()
                    sent += 1
                elif outcome.startswith(UNROUTABLE) and row.attempts + 1 >= MAX_UNROUTED_ATTEMPTS:
                    session.execute(update(self.table).where(self.table.c.id == row.id).values(
                        attempts=row.attempts + 1, sent_at=clock.now(),
                        last_error=f"{outcome}; closed after {row.attempts + 1} tries: "
                                   "no service subscribes to it"))
                else:
                    session.execute(update(self.table).where(self.table.c.id == row.id).values(
                        attempts=row.attempts + 1, last_error=outcome[:500],
                        next_attempt_at=clock.now() + backoff(row.attempts + 1)))
        return sent

    def _publish(self, row) -> str | None:
        """None when the broker confirmed and routed the event, else the reason it did not."""
        message_id = str(row.id)
        self._returned.discard(message_id)
        try:
            producer = self._ensure_producer()
            producer.publish(
                row.envelope, routing_key=row.event_type, mandatory=True,
                message_id=message_id,
                delivery_mode=2, retry=False,
            )
        except Exception as exc:
            FAILURES.labels(self.service).inc()
            log.warning("outbox publish of %s failed: %s", row.event_type, exc)
            self.close()
            return f"publish failed: {exc}"
        if message_id in self._returned:
            self._returned.discard(message_id)
            UNROUTED.labels(self.service).inc()
            return f"{UNROUTABLE}: no queue bound for this event yet"
        return None

    def pending(self) -> int:
        with self.make_session() as session:
            return session.execute(text(
                f"SELECT count(*) FROM {self.table.schema}.outbox WHERE sent_at IS NULL")
            ).scalar_one()


class OutboxRelay(DependencyProvider):
    """Runs the relay inside a service process: woken after each worker, and on a poll."""

    poll_seconds = 1.0

    def setup(self) -> None:
        self.wakeup = Event()
        self.running = False
        self.gt = None

    def start(self) -> None:
        settings = self.container.config["KEYUAN_SETTINGS"]
        service = self.container.service_name
        table = getattr(self.container.service_cls, "outbox_table", None)
        engine = make_engine(settings.database_url_for(service), pool_size=1)
        self.engine = engine
        self.relay = Relay(service, table, sessionmaker(engine), settings.amqp_uri)
        self.running = True
        self.gt = self.container.spawn_managed_thread(self._run)

    def _run(self) -> None:
        while self.running:
            try:
                while self.running and self.relay.publish_batch() >= BATCH:
                    pass
            except Exception:
                log.exception("outbox relay batch failed")
            self.wakeup.wait(self.poll_seconds)
            if self.wakeup.ready():
                self.wakeup.reset()

    def worker_teardown(self, worker_ctx) -> None:
        if not self.wakeup.ready():
            self.wakeup.send()

    def stop(self) -> None:
        self.running = False
        if not self.wakeup.ready():
            self.wakeup.send()
        if self.gt is not None:
            self.gt.wait()
        self.relay.close()
        self.engine.dispose()

    def kill(self) -> None:
        self.running = False
        if self.gt is not None:
            self.gt.kill()
        self.relay.close()
        self.engine.dispose()

    def get_dependency(self, worker_ctx) -> OutboxRelay:
        return self
