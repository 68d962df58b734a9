"""Notification rules without I/O: which channels a notice goes to, the text the robots
receive, and the retry schedule of a delivery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from contracts.tasks import NoticeChannel

EXTERNAL = (NoticeChannel.wecom.value, NoticeChannel.dingtalk.value, NoticeChannel.sms.value)
# A WeCom robot's text is at most 2048 bytes of UTF-8; DingTalk takes more, but a notice is
# a line or two: one limit for both.
MAX_TEXT_BYTES = 2048


@dataclass(frozen=True)
class Routing:
    """What notify() needs of a company's settings: the channels each notice kind goes to,
    which channels are configured, and which users the SMS channel has a phone for."""

    routes: Mapping[str, tuple[str, ...]]
    configured: frozenset[str]
    sms_recipients: frozenset[str]

    @classmethod
    def inbox_only(cls) -> Routing:
        return cls({}, frozenset(), frozenset())


@dataclass(frozen=True)
class Planned:
    """One external delivery of a notice; `skipped` says why it will not be sent."""

    channel: str
    skipped: str | None = None


def only(routing: Routing, kind: str, channel: str) -> Routing:
    """`routing` with notices of `kind` sent over `channel` alone (a test of that channel)."""
    return replace(routing, routes={**routing.routes, kind: (channel,)})


def plan(routing: Routing, kind: str, recipient_id) -> list[Planned]:
    """The external deliveries of a `kind` notice to `recipient_id` (the in-app inbox always
    has it, so `inbox` in a route adds nothing)."""
    planned: list[Planned] = []
    for channel in dict.fromkeys(routing.routes.get(kind, ())):
        if channel not in EXTERNAL:
            continue
        if channel not in routing.configured:
            planned.append(Planned(channel, f"the company has no {channel} channel configured"))
        elif channel == NoticeChannel.sms.value and \
                str(recipient_id) not in routing.sms_recipients:
            planned.append(Planned(channel, "no phone for the recipient in the SMS channel's "
                                            "phones"))
        else:
            planned.append(Planned(channel))
    return planned


def backoff(attempts: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """Wait after the `attempts`-th failed try: base, 2×base, 4×base ... at most cap."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


@dataclass(frozen=True)
class AfterAttempt:
    status: str                  # "sent", "pending" (retry at next_attempt_at) or "failed"
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def after_attempt(attempts_before: int, error: str | None, now: datetime, *,
                  max_attempts: int, base_seconds: float, cap_seconds: float) -> AfterAttempt:
    """A delivery's state after one try that ended with `error` (None: delivered)."""
    attempts = attempts_before + 1
    if error is None:
        return AfterAttempt("sent", attempts, now, None)
    if attempts >= max_attempts:
        return AfterAttempt("failed", attempts, now, error)
    return AfterAttempt("pending", attempts,
                        now + backoff(attempts, base_seconds, cap_seconds), error)


def absolute_link(link: str | None, base: str) -> str | None:
    """A relative link (/tasks/...) under the public address, if one is configured."""
    if not link or "://" in link or not base:
        return link
    return f"{base.rstrip('/')}/{link.lstrip('/')}"


def truncate_utf8(value: str, limit: int) -> str:
    raw = value.encode()
    if len(raw) <= limit:
        return value
    return raw[:limit - 3].decode(errors="ignore") + "..."


def message_text(title: str, body: str, link: str | None, recipient_name: str = "") -> str:
    """What a group robot posts: the title, whom it is for, the body and the link."""
    lines = [f"【客源】{title}"]
    if body or recipient_name:
        lines.append(f"{recipient_name}：{body}" if recipient_name else body)
    if link:
        lines.append(link)
    return truncate_utf8("\n".join(line for line in lines if line), MAX_TEXT_BYTES)
