"""Analytics rules without I/O: which facts count where, and the funnel's shape."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from contracts.analytics import Funnel, FunnelRow
from kit import clock

FUNNEL = (
    ("leads", "线索"),
    ("new_customers", "新客户"),
    ("duplicates", "重复线索"),
    ("assigned", "已分配"),
    ("first_contact_tasks", "首次联系任务"),
    ("first_contact_done", "首次联系完成"),
)
DEFAULT_WINDOW = timedelta(days=29)


def business_day(moment: datetime) -> date:
    """Counts are kept by the day in Asia/Shanghai, as a manager reads a daily report."""
    return clock.to_local(moment).date()


def window(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    end = date_to or clock.local_today()
    return (date_from or end - DEFAULT_WINDOW), end


def funnel(date_from: date, date_to: date, totals: dict[str, int],
           by_channel: dict[str, int]) -> Funnel:
    return Funnel(date_from=date_from, date_to=date_to,
                  rows=[FunnelRow(metric=m, label=label, count=totals.get(m, 0))
                        for m, label in FUNNEL],
                  by_channel=by_channel)
