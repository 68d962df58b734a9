"""The delivery timer's work: take a batch of due deliveries (FOR UPDATE SKIP LOCKED, so
replicas never send one twice), post them concurrently with short timeouts (green sockets
under eventlet), record each outcome and the retry schedule, count it in metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
from eventlet import GreenPool
from prometheus_client import Counter, Gauge
from sqlalchemy.orm import Session

from kit import clock
from kit.crypto import Vault
from services.tasks.notify import channels, config, domain, store

log = logging.getLogger(__name__)

SENT = Counter("keyuan_notifications_sent_total", "Notices delivered to an external channel",
               ["channel"])
FAILURES = Counter("keyuan_notification_failures_total",
                   "Delivery attempts that failed (every try counts)", ["channel"])
ABANDONED = Counter("keyuan_notifications_abandoned_total",
                    "Deliveries marked failed after their last attempt", ["channel"])
PENDING = Gauge("keyuan_notifications_pending", "Deliveries waiting to be sent", ["channel"])


@dataclass(frozen=True)
class Policy:
    batch: int = 50
    max_attempts: int = 8
    retry_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    timeout_seconds: float = 5.0
    link_base: str = ""
    concurrency: int = 10

    @classmethod
    def from_settings(cls, settings) -> Policy:
        return cls(batch=settings.notify_batch_size,
                   max_attempts=settings.notify_max_attempts,
                   retry_seconds=settings.notify_retry_seconds,
                   retry_max_seconds=settings.notify_retry_max_seconds,
                   timeout_seconds=settings.notify_http_timeout_seconds,
                   link_base=settings.notify_link_base)


def build(delivery: store.Delivery, stored: dict, vault: Vault, link_base: str,
          now_ms: int) -> channels.HttpRequest:
    """The request for one delivery, from the company's current settings (so a corrected
    URL applies to the retries). Raises config.NotConfigured."""
    payload = delivery.payload
    link = domain.absolute_link(payload.get("link"), link_base)
    opened = config.opened(stored, delivery.channel, vault, payload.get("recipient_id"))
    if delivery.channel == "sms":
        return channels.sms(opened["url"], opened["api_key"], opened["sender"],
                            opened["phone"],
                            opened["templates"].get(payload["kind"], payload["kind"]),
                            {"title": payload["title"], "body": payload["body"],
                             "link": link or ""})
    text = domain.message_text(payload["title"], payload["body"], link,
                               payload.get("recipient_name", ""))
    if delivery.channel == "dingtalk":
        return channels.dingtalk(opened["url"], opened["secret"], text, now_ms)
    return channels.wecom(opened["url"], text)


def post(request: channels.HttpRequest, channel: str, timeout: float) -> str | None:
    """Send one request; None when the channel took it, else why not (never the URL: it
    holds the robot's key)."""
    try:
        answer = requests.post(request.url, json=request.json, headers=request.headers,
                               timeout=(min(timeout, 3.0), timeout))
    except requests.Timeout:
        return f"no answer within {timeout:g}s from {config.masked_url(request.url)}"
    except requests.RequestException as exc:
        return f"{type(exc).__name__} posting to {config.masked_url(request.url)}"
    return channels.refusal(channel, answer.status_code, answer.text)


Send = Callable[[channels.HttpRequest, str, float], str | None]


def deliver_due(session: Session, vault: Vault, policy: Policy, send: Send = post) -> int:
    """Send one batch of due deliveries and commit; returns how many were tried."""
    now = clock.now()
    rows = store.due_deliveries(session, now, policy.batch)
    if not rows:
        session.commit()
        return 0
    settings = {cid: store.stored_config(session, cid) for cid in {r.company_id for r in rows}}
    now_ms = int(now.timestamp() * 1000)
    prepared: list[tuple[store.Delivery, channels.HttpRequest | str]] = []
    for row in rows:
        try:
            prepared.append((row, build(row, settings[row.company_id], vault, policy.link_base,
                                        now_ms)))
        except config.NotConfigured as exc:
            prepared.append((row, str(exc)))

    errors = post_all([(row.channel, request) for row, request in prepared], policy, send)
    done = clock.now()
    for (row, _), error in zip(prepared, errors, strict=True):
        _record(row, error, done, policy)
    session.commit()
    return len(rows)


def post_all(prepared: list[tuple[str, channels.HttpRequest | str]], policy: Policy,
             send: Send = post) -> list[str | None]:
    """Post each (channel, request) concurrently; an item that is already a reason (str)
    is not sent. The outcomes in order: None when the channel took it, else why not."""

    def attempt(item) -> str | None:
        channel, request = item
        return request if isinstance(request, str) else send(request, channel,
                                                             policy.timeout_seconds)

    return list(GreenPool(policy.concurrency).imap(attempt, prepared))


def _record(row: store.Delivery, error: str | None, now, policy: Policy) -> None:
    after = domain.after_attempt(row.attempts, error, now, max_attempts=policy.max_attempts,
                                 base_seconds=policy.retry_seconds,
                                 cap_seconds=policy.retry_max_seconds)
    row.status, row.attempts, row.last_error = after.status, after.attempts, after.last_error
    row.next_attempt_at = after.next_attempt_at
    if after.status == store.SENT:
        row.sent_at = now
        SENT.labels(row.channel).inc()
        return
    FAILURES.labels(row.channel).inc()
    if after.status == store.FAILED:
        ABANDONED.labels(row.channel).inc()
        log.warning("notification delivery %s on %s failed after %d attempts: %s", row.id,
                    row.channel, after.attempts, error)


def refresh_pending(session: Session) -> None:
    counts = store.pending_by_channel(session)
    session.rollback()
    for channel in domain.EXTERNAL:
        PENDING.labels(channel).set(counts.get(channel, 0))
