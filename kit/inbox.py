"""The inbox: every consumer records the event id in the same transaction as its effect, so
a repeated delivery is acknowledged and ignored. At-least-once delivery, exactly-once effect."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import eventlet
from nameko.events import event_handler
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, MetaData, String, Table, bindparam
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Session

from contracts.envelope import Envelope
from kit import clock
from kit.db import Prepared

if TYPE_CHECKING:
    from kit.service import Worker

W = TypeVar("W", bound="Worker")
R = TypeVar("R")

log = logging.getLogger(__name__)

DUPLICATES = Counter("keyuan_inbox_duplicates_total", "Repeated deliveries ignored",
                     ["service", "handler"])
REJECTED = Counter("keyuan_inbox_rejected_total", "Events that could not be parsed",
                   ["service", "handler"])


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


@functools.cache
def _claim(table: Table) -> Prepared:
    return Prepared(
        insert(table).values(event_id=bindparam("event_id"), handler=bindparam("handler"),
                             event_type=bindparam("event_type"),
                             received_at=bindparam("received_at"))
        .on_conflict_do_nothing().returning(table.c.event_id))


def handles(source_service: str, event_type: str) -> Callable[
        [Callable[[W, Session, Envelope], R]], Callable[[W, Any], R | None]]:
    """@event_handler that parses the envelope, applies the effect once and commits.

    The decorated method gets (session, envelope) and must not commit itself. A malformed
    event is logged and dropped; any other failure is requeued after a pause."""

    def decorate(method: Callable[[W, Session, Envelope], R]) -> Callable[[W, Any], R | None]:
        @event_handler(source_service, event_type, requeue_on_error=True)
        @functools.wraps(method)
        def entrypoint(self: W, body: Any) -> R | None:
            service = type(self).name
            try:
                env = Envelope.model_validate(body)
            except ValidationError:
                REJECTED.labels(service, method.__name__).inc()
                log.error("%s.%s dropped a malformed %s event", service, method.__name__,
                          event_type)
                return None
            session: Session = self.db
            try:
                if not first_delivery(session, type(self).inbox_table, env, method.__name__):
                    DUPLICATES.labels(service, method.__name__).inc()
                    session.rollback()
                    return None
                result = method(self, session, env)
                session.commit()
                return result
            except Exception:
                session.rollback()
                eventlet.sleep(0.5)  # no hot loop of requeues while a dependency is away
                raise

        return entrypoint

    return decorate
