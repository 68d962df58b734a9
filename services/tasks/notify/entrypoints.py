"""Notification entrypoints (a mixin of TasksService): the company's channel settings
(admin), the actor's own in-app inbox, a test notice, and the delivery timer."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts import tasks as c
from contracts.actor import Role
from contracts.errors import Conflict, NotFound, parse, parse_id
from kit import clock
from kit.service import Worker, rpc
from services.tasks.notify import config, domain, sender, store
from services.tasks.notify.notifier import Notice, load_routing, notify

log = logging.getLogger(__name__)

# Batches per timer tick at most, so a backlog never keeps one worker busy for long.
MAX_BATCHES_PER_TICK = 20


def drain(session: Session, step: Callable[[], int], batch: int, what: str) -> bool:
    """A timer tick's work: `step` (one batch, returns how many it took) again until a batch
    is not full, MAX_BATCHES_PER_TICK times at most. A failure is rolled back and logged,
    the next tick tries again; False then."""
    try:
        for _ in range(MAX_BATCHES_PER_TICK):
            if step() < batch:
                break
    except Exception:
        session.rollback()
        log.exception("%s failed", what)
        return False
    return True


def _view(row: store.Notification) -> dict:
    return c.NotificationView(id=row.id, kind=row.kind, title=row.title, body=row.body,
                              link=row.link, created_at=row.created_at, read_at=row.read_at,
                              read=row.read_at is not None).model_dump(mode="json")


class Notifications(Worker):
    @rpc
    def configure_notifications(self, token: str, settings: dict) -> dict:
        """Change the company's channels and routes (admin); answers them with secrets
        masked."""
        actor = self.keys.actor(token, Role.admin)
        update = parse(c.NotificationConfig, settings)
        row = self.db.get(store.NotificationSettings, actor.company_id, with_for_update=True)
        merged = config.merge(row.config if row else {}, update, self.keys.vault,
                              https_only=self.keys.settings.env == "prod")
        if row is None:
            row = store.NotificationSettings(company_id=actor.company_id, revision=0)
            self.db.add(row)
        row.config, row.revision = merged, row.revision + 1
        row.updated_at, row.updated_by = clock.now(), actor.user_id
        try:
            self.db.commit()
        except IntegrityError:   # another admin's first settings won the race
            self.db.rollback()
            raise Conflict("the settings changed meanwhile: read them and try again",
                           "body") from None
        return config.view(merged) | {"revision": row.revision}

    @rpc
    def notification_settings(self, token: str) -> dict:
        actor = self.keys.actor(token, Role.admin)
        row = self.db.get(store.NotificationSettings, actor.company_id)
        return config.view(row.config if row else {}) | {"revision": row.revision if row else 0}

    @rpc
    def notifications(self, token: str, query: dict | None = None) -> dict:
        """The actor's own notices, newest first, with the unread count."""
        actor = self.keys.actor(token)
        q = parse(c.NotificationQuery, query)
        total, unread, rows = store.inbox_page(
            self.db, actor.company_id, actor.user_id, unread_only=bool(q.unread),
            offset=(q.page - 1) * q.page_size, limit=q.page_size)
        return {"items": [_view(r) for r in rows], "total": total, "unread": unread,
                "page": q.page, "page_size": q.page_size}

    def _own_notice(self, actor, notification_id) -> store.Notification:
        """The actor's own notice of that id, or NotFound (anyone else's too)."""
        wanted = parse_id(notification_id, "notification_id")
        row = store.own_notice(self.db, actor.company_id, actor.user_id, wanted)
        if row is None:
            raise NotFound("no such notification", "notification_id")
        return row

    @rpc
    def read_notification(self, token: str, notification_id: str) -> dict:
        actor = self.keys.actor(token)
        row = self._own_notice(actor, notification_id)
        if row.read_at is None:
            row.read_at = clock.now()
        self.db.commit()
        return _view(row)

    @rpc
    def read_all_notifications(self, token: str) -> dict:
        actor = self.keys.actor(token)
        marked = store.mark_all_read(self.db, actor.company_id, actor.user_id, clock.now())
        self.db.commit()
        return {"marked": marked, "unread": 0}

    @rpc
    def send_test_notice(self, token: str, request: dict | None = None) -> dict:
        """A notice of `kind` to the admin themself, over that kind's route: checks the
        channels end to end."""
        actor = self.keys.actor(token, Role.admin)
        wanted = parse(c.TestNotice, request)
        routing = load_routing
        if wanted.channel is not None:
            def routing(session, company_id):
                return domain.only(load_routing(session, company_id), wanted.kind.value,
                                   wanted.channel.value)
        queued = notify(self.db, Notice(
            company_id=actor.company_id, recipient_id=actor.user_id, kind=wanted.kind,
            title=f"测试通知 Test notice ({wanted.kind.value})",
            body="这是一条测试通知，收到即表示通知渠道配置正确。",
            link="/api/notifications", dedupe_key=f"test:{uuid.uuid4()}"),
            company_settings_loader=routing)
        self.db.commit()
        return {"notification_id": str(queued.notification_id), "kind": wanted.kind.value,
                "channels": ["inbox", *(ch for ch, why in queued.deliveries.items()
                                        if why is None)],
                "skipped": {ch: why for ch, why in queued.deliveries.items() if why}}

    @rpc
    def test_notice_result(self, token: str, notification_id: str) -> dict:
        """How a test notice (the admin's own) fared on each channel: pending, sent, failed
        or skipped, with the error (never a secret: errors name the host only)."""
        actor = self.keys.actor(token, Role.admin)
        row = self._own_notice(actor, notification_id)
        return {"notification_id": str(row.id), "kind": row.kind,
                "deliveries": [{"channel": d.channel, "status": d.status,
                                "attempts": d.attempts, "error": d.last_error,
                                "sent_at": d.sent_at.isoformat() if d.sent_at else None}
                               for d in store.deliveries_of(self.db, row.id)]}

    @timer(interval=1)
    def deliver_notifications(self) -> None:
        """Send due deliveries to WeCom, DingTalk and SMS; every replica may run it."""
        policy = sender.Policy.from_settings(self.keys.settings)
        if drain(self.db, lambda: sender.deliver_due(self.db, self.keys.vault, policy),
                 policy.batch, "delivering notifications"):
            sender.refresh_pending(self.db)
