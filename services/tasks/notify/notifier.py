"""notify(): record a notice in the recipient's in-app inbox and queue its deliveries to the
company's external channels, all in the caller's transaction."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts.tasks import NoticeKind
from kit import clock
from services.tasks.notify import config, domain, store

log = logging.getLogger(__name__)


def _cut(limit: int):
    """Too long text is cut, not refused: a notice never fails the engine's transaction."""
    return BeforeValidator(lambda v: v[:limit] if isinstance(v, str) else v)


def _key(value):
    """A key longer than the column keeps its uniqueness as a digest."""
    if isinstance(value, str) and len(value) > 200:
        return f"{value[:130]}#{hashlib.sha256(value.encode()).hexdigest()}"
    return value


class Notice(BaseModel):
    """One thing to tell one user. `dedupe_key` names the occurrence (e.g.
    "task_overdue:<task id>:1"): the same key for the same recipient and company is
    recorded and sent once, however many replicas or redeliveries produce it. Title, body
    and link longer than their columns are cut."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    company_id: UUID
    recipient_id: UUID
    kind: NoticeKind
    title: Annotated[str, _cut(200), StringConstraints(min_length=1)]
    body: Annotated[str, _cut(2000)] = ""
    link: Annotated[str | None, _cut(500)] = None
    dedupe_key: Annotated[str, BeforeValidator(_key), StringConstraints(min_length=1)]


@dataclass(frozen=True)
class Queued:
    """What notify() recorded: the inbox row and each external delivery (channel → None
    when queued, else why it is skipped)."""

    notification_id: UUID
    deliveries: dict[str, str | None] = field(default_factory=dict)


RoutingLoader = Callable[[Session, UUID], domain.Routing]


def load_routing(session: Session, company_id: UUID) -> domain.Routing:
    """The company's routes as stored (no settings: inbox only)."""
    return config.routing(store.stored_config(session, company_id))


def notify(session: Session, notice: Notice, *,
           company_settings_loader: RoutingLoader = load_routing) -> Queued | None:
    """Record `notice` and queue its deliveries in `session`'s transaction (the caller
    commits). None when a notice with the same dedupe key was recorded before."""
    now = clock.now()
    notification_id = session.execute(
        insert(store.Notification).values(
            id=uuid.uuid4(), company_id=notice.company_id, recipient_id=notice.recipient_id,
            kind=notice.kind.value, title=notice.title, body=notice.body, link=notice.link,
            dedupe_key=notice.dedupe_key, created_at=now)
        .on_conflict_do_nothing(constraint="uq_notifications_dedupe")
        .returning(store.Notification.id)).scalar()
    if notification_id is None:
        return None
    planned = domain.plan(company_settings_loader(session, notice.company_id),
                          notice.kind.value, notice.recipient_id)
    if not planned:
        return Queued(notification_id)
    payload = {"kind": notice.kind.value, "title": notice.title, "body": notice.body,
               "link": notice.link, "recipient_id": str(notice.recipient_id),
               "recipient_name": store.user_name(session, notice.recipient_id)}
    for delivery in planned:
        if delivery.skipped:
            log.info("notice %s: %s not sent: %s", notification_id, delivery.channel,
                     delivery.skipped)
        session.execute(insert(store.Delivery).values(
            id=uuid.uuid4(), company_id=notice.company_id, notification_id=notification_id,
            channel=delivery.channel, payload=payload,
            status=store.SKIPPED if delivery.skipped else store.PENDING, attempts=0,
            next_attempt_at=now, last_error=delivery.skipped, created_at=now))
    return Queued(notification_id, {d.channel: d.skipped for d in planned})
