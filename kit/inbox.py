"""The inbox: every consumer records the event id in the same transaction as its effect, so
a repeated delivery is acknowledged and ignored. At-least-once delivery, exactly-once effect.

Consumers take their events in batches: while a handler's batch is being applied, the
events that arrive wait (up to the queue's prefetch) and go together in the next one — one
transaction, one inbox insert and one commit for the batch, acknowledged after the commit.
An idle consumer applies an event as soon as it arrives (a batch of one), so batching costs
no latency. A batch that fails is rolled back and its events applied one at a time, so one
bad event neither blocks the others nor lets them apply twice."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import eventlet
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, MetaData, String, Table, bindparam, text
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from contracts.envelope import Envelope
from kit import clock
from kit.db import Prepared

if TYPE_CHECKING:
    from nameko.containers import WorkerContext

    from kit.service import Worker

R = TypeVar("R")

log = logging.getLogger(__name__)

DUPLICATES = Counter("keyuan_inbox_duplicates_total", "Repeated deliveries ignored",
                     ["service", "handler"])
REJECTED = Counter("keyuan_inbox_rejected_total", "Events that could not be parsed",
                   ["service", "handler"])
FAILED = Counter("keyuan_inbox_failed_total",
                 "Events whose effect failed and that went back to the queue",
                 ["service", "handler"])
IN_HAND = Gauge("keyuan_inbox_in_hand",
                "Events a consumer holds unacknowledged: waiting for a batch or in one",
                ["service", "handler"])
BATCH_SIZE = Histogram("keyuan_inbox_batch_size", "Events applied in one transaction",
                       ["service", "handler"], buckets=(1, 2, 4, 8, 16, 32, 64))

# A handler's events in one transaction at most (also bounded by the queue's prefetch, the
# container's max_workers), and how many of its batches may run at once in one process.
MAX_BATCH = 50
IN_FLIGHT = 2
RETRY_PAUSE_SECONDS = 0.5  # no hot loop of requeues while a dependency is away


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("handler", String(100), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )


def first_delivery(session: Session, table: Table, env: Envelope, handler: str) -> bool:
    """Claim this event for this handler in the caller's transaction. False = seen before.

    A concurrent second delivery waits on the primary key until the first commits, then
    sees the conflict, so two replicas never both apply it."""
    inserted = _claim(table).execute(session, event_id=env.id, handler=handler,
                                     event_type=env.type, received_at=clock.now()).first()
    return inserted is not None


def first_deliveries(session: Session, table: Table, envs: list[Envelope],
                     handler: str) -> set[uuid.UUID]:
    """Claim several events at once (one statement); the ids not seen before. Claimed in
    id order, so two replicas claiming overlapping batches wait on each other rather than
    deadlock."""
    ids = sorted({env.id for env in envs})
    if len(ids) == 1:
        return {ids[0]} if first_delivery(session, table, envs[0], handler) else set()
    types = {env.id: env.type for env in envs}
    claimed = session.execute(_claim_many(table), {
        "ids": ids, "handler": handler, "types": [types[i] for i in ids],
        "at": clock.now()})
    return {row[0] for row in claimed}


@functools.cache
def _claim(table: Table) -> Prepared:
    return Prepared(
        insert(table).values(event_id=bindparam("event_id"), handler=bindparam("handler"),
                             event_type=bindparam("event_type"),
                             received_at=bindparam("received_at"))
        .on_conflict_do_nothing().returning(table.c.event_id))


@functools.cache
def _claim_many(table: Table) -> TextClause:
    return text(
        f"INSERT INTO {table.schema}.{table.name} (event_id, handler, event_type, received_at)"
        " SELECT i, :handler, t, :at FROM unnest(CAST(:ids AS uuid[]), "
        "CAST(:types AS varchar[])) AS e(i, t) ON CONFLICT DO NOTHING RETURNING event_id")


@dataclass
class BatchOutcome:
    """What became of a batch's deliveries: the positions to give back to the queue."""
    requeue: list[int] = field(default_factory=list)


# (service, session, envelope) — or the list of a batch's envelopes, for whole batches.
Effect = Callable[[Any, Session, Any], Any]


def apply_batch(service: Any, effect: Effect, name: str, bodies: list[Any],
                whole: bool = False) -> BatchOutcome:
    """Apply `effect` once to each event of `bodies` not seen before, all in the service
    worker's session, and commit (`whole`: once, to the list of them). Malformed events
    are dropped (logged, counted); repeated ones ignored. On failure the batch is rolled
    back and applied event by event: the events that still fail go back to the queue
    (after a pause), the others are committed.
    Raises if every event failed (the broker then redelivers them all)."""
    service_name = type(service).name
    session: Session = service.db
    table = type(service).inbox_table
    envs: list[tuple[int, Envelope]] = []
    for position, body in enumerate(bodies):
        try:
            envs.append((position, Envelope.model_validate(body)))
        except ValidationError:
            REJECTED.labels(service_name, name).inc()
            log.error("%s.%s dropped a malformed event", service_name, name)
    if not envs:
        return BatchOutcome()
    if len(envs) > 1:
        try:
            fresh = first_deliveries(session, table, [env for _, env in envs], name)
            applied: dict[uuid.UUID, Envelope] = {}
            for _, env in envs:
                if env.id in fresh and env.id not in applied:
                    applied[env.id] = env
            if whole:
                if applied:
                    effect(service, session, list(applied.values()))
            else:
                for env in applied.values():
                    effect(service, session, env)
            session.commit()
        except Exception:
            session.rollback()
            log.warning("%s.%s: a batch of %d failed; applying its events one by one",
                        service_name, name, len(envs), exc_info=True)
        else:
            BATCH_SIZE.labels(service_name, name).observe(len(envs))
            if len(envs) > len(applied):
                DUPLICATES.labels(service_name, name).inc(len(envs) - len(applied))
            return BatchOutcome()
    outcome, last_error = BatchOutcome(), None
    for position, env in envs:
        try:
            if first_delivery(session, table, env, name):
                effect(service, session, [env] if whole else env)
                session.commit()
                BATCH_SIZE.labels(service_name, name).observe(1)
            else:
                session.rollback()
                DUPLICATES.labels(service_name, name).inc()
        except Exception as exc:
            session.rollback()
            FAILED.labels(service_name, name).inc()
            outcome.requeue.append(position)
            last_error = exc
            if len(envs) > 1:
                log.error("%s.%s could not apply event %s (%s); it goes back to the queue",
                          service_name, name, env.id, env.type, exc_info=True)
    if outcome.requeue:
        eventlet.sleep(RETRY_PAUSE_SECONDS)
        if last_error is not None and len(outcome.requeue) == len(bodies):
            raise last_error
    return outcome


class BatchingEventHandler(EventHandler):
    """Nameko's @event_handler, handing its worker a list of event bodies: each message
    that arrives joins the next batch, and a batch starts as soon as fewer than IN_FLIGHT of
    this handler's batches run. Messages are acknowledged after the worker returns (its
    commit done) and requeued if it raised or gave them back; buffered ones not yet started
    stay unacknowledged, so a process that dies loses none."""

    def __init__(self, *args: Any, max_batch: int = MAX_BATCH, in_flight: int = IN_FLIGHT,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_batch = max_batch
        self.in_flight = in_flight

    def setup(self) -> None:
        super().setup()
        self.waiting: list[tuple[Any, Any]] = []
        self.running = 0
        self.in_hand = IN_HAND.labels(self.container.service_name, self.method_name)
        self.stopping = False

    def stop(self) -> None:
        # No new batch once the service stops: what waits stays unacknowledged, and the
        # broker gives it to another replica or to this service when it runs again.
        self.stopping = True
        super().stop()

    def handle_message(self, body: Any, message: Any) -> None:
        self.in_hand.inc()
        self.waiting.append((body, message))
        self._start_next()

    def _start_next(self) -> None:
        if self.stopping or self.running >= self.in_flight or not self.waiting:
            return
        batch, self.waiting = self.waiting[:self.max_batch], self.waiting[self.max_batch:]
        self.running += 1
        try:
            self.container.spawn_worker(
                self, ([body for body, _ in batch],), {},
                context_data=self.unpack_message_headers(batch[0][1]),
                handle_result=partial(self._batch_done, batch))
        except ContainerBeingKilled:
            self.running -= 1
            self.in_hand.dec(len(batch))
            for _, message in batch:
                self.queue_consumer.requeue_message(message)

    def _batch_done(self, batch: list[tuple[Any, Any]], worker_ctx: WorkerContext,
                    result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        requeue = (set(range(len(batch))) if exc_info is not None
                   else set(result.requeue) if isinstance(result, BatchOutcome) else set())
        for position, (_, message) in enumerate(batch):
            if position in requeue:
                self.queue_consumer.requeue_message(message)
            else:
                self.queue_consumer.ack_message(message)
        self.running -= 1
        self.in_hand.dec(len(batch))
        self._start_next()
        return result, exc_info


def handles(source_service: str, event_type: str, *, max_batch: int = MAX_BATCH,
            in_flight: int = IN_FLIGHT, whole_batch: bool = False
            ) -> Callable[[Callable[..., R]], Callable[..., Any]]:
    """An event handler that parses the envelope, applies the effect once and commits.

    The decorated method gets (session, envelope) and must not commit itself; it is called
    for each event of a batch in one transaction (`whole_batch`: once, with the list of the
    batch's new envelopes, for effects that sum up, such as counters). A malformed event
    is logged and dropped; any other failure goes back to the queue after a pause. Called
    with one event body (as Nameko's entrypoint_hook does), it applies that one and
    returns the method's result."""

    def decorate(method: Callable[..., R]) -> Callable[..., Any]:
        name = method.__name__

        @BatchingEventHandler.decorator(source_service, event_type, requeue_on_error=True,
                                        max_batch=max_batch, in_flight=in_flight)
        @functools.wraps(method)
        def entrypoint(self: Worker, bodies: Any) -> Any:
            if isinstance(bodies, list):
                return apply_batch(self, method, name, bodies, whole_batch)
            results: list[R] = []
            outcome = apply_batch(self, lambda s, session, env: results.append(
                method(s, session, env)), name, [bodies], whole_batch)
            if outcome.requeue:
                raise RuntimeError(f"{name} could not apply the event")
            return results[0] if results else None

        return entrypoint

    return decorate
