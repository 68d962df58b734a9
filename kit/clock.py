"""The one source of time. Tests move it; code never calls datetime.now() directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)


def now() -> datetime:
    """Current time in UTC, shifted by any offset a test applied."""
    return datetime.now(UTC) + _offset


def local_today() -> date:
    """Today's business date in Asia/Shanghai."""
    return now().astimezone(SHANGHAI).date()


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def advance(delta: timedelta) -> None:
    """Move this process's clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)
