"""A SegmentFilter as SQL over customers.customers. Pure: it builds expressions and runs
nothing, so it is unit-tested by compiling them.

Each part of the filter maps onto an index of customers_0006 (all partial on live rows):
stages and the signed / stage-entered windows on (company_id, stage, stage_entered_at), the
created window on (company_id, created_at, id) (also the listing order), the last follow-up
window on (company_id, last_followup_at), purposes / districts / layouts as JSONB containment
(`portrait @> ...`) on a jsonb_path_ops GIN index, tags as semi-joins on customer_tags
(dimension, value, customer_id), answered from the index alone. Budget and area ranges are
checked on the rows the other parts found (they narrow, they do not find)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from contracts.customers import AmountRange, DateRange, SegmentFilter, Stage, TagsMatch
from kit.scope import Visibility
from services.customers import store

C = store.Customer
T = store.CustomerTag

# Erased customers keep an anonymous row for statistics; merged-away ones live on in their
# survivor. Neither belongs to any segment.
LIVE = (C.erased_at.is_(None), C.merged_into.is_(None))

# Above any budget (yuan) or area (㎡) the profile accepts: an open-ended upper bound.
UNBOUNDED = 10**15


def tag_parts(ref: str) -> tuple[str, str]:
    """'focus:学区' → ('focus', '学区'); ':周末看房' → ('', '周末看房') (a free tag)."""
    dimension, _, value = ref.partition(":")
    return dimension, value


def _tagged(pairs: list[tuple[str, str]]) -> ColumnElement[bool]:
    matching = or_(*(and_(T.dimension == d, T.value == v) for d, v in pairs))
    return C.id.in_(select(T.customer_id).where(matching))


def _tags(refs: list[str], match: TagsMatch) -> ColumnElement[bool]:
    pairs = [tag_parts(ref) for ref in dict.fromkeys(refs)]
    if match == TagsMatch.all:
        return and_(*(_tagged([pair]) for pair in pairs))
    return _tagged(pairs)


def window(column: InstrumentedAttribute, span: DateRange, now: datetime) -> ColumnElement[bool]:
    parts = []
    if span.after is not None:
        parts.append(column >= span.after)
    if span.before is not None:
        parts.append(column < span.before)
    if span.more_than_days_ago is not None:
        parts.append(column < now - timedelta(days=span.more_than_days_ago))
    if span.within_days is not None:
        parts.append(column >= now - timedelta(days=span.within_days))
    if not parts:   # or_never alone: only customers without the date
        return column.is_(None)
    inside = and_(*parts)
    return or_(column.is_(None), inside) if span.or_never else inside


def _contains_any(key: str, values: list, as_list: bool) -> ColumnElement[bool]:
    return or_(*(C.portrait.contains({key: [v] if as_list else v})
                 for v in dict.fromkeys(values)))


def _overlaps(low_key: str, high_key: str, wanted: AmountRange) -> ColumnElement[bool]:
    low = C.portrait[low_key].astext.cast(BigInteger)
    high = C.portrait[high_key].astext.cast(BigInteger)
    parts = [or_(low.is_not(None), high.is_not(None))]   # a customer who stated a range
    if wanted.max is not None:
        parts.append(func.coalesce(low, 0) <= wanted.max)
    if wanted.min is not None:
        parts.append(func.coalesce(high, UNBOUNDED) >= wanted.min)
    return and_(*parts)


def conditions(f: SegmentFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The filter's WHERE conditions (ANDed), relative windows taken at `now`."""
    where: list[ColumnElement[bool]] = []
    if f.stages:
        where.append(C.stage.in_([s.value for s in dict.fromkeys(f.stages)]))
    if f.signed is not None:
        where.append(C.stage == Stage.signed.value)
        where.append(window(C.stage_entered_at, f.signed, now))
    if f.stage_entered is not None:
        where.append(window(C.stage_entered_at, f.stage_entered, now))
    if f.project_ids:
        where.append(C.project_id.in_(list(dict.fromkeys(f.project_ids))))
    if f.owner_ids:
        where.append(C.owner_id.in_(list(dict.fromkeys(f.owner_ids))))
    if f.created is not None:
        where.append(window(C.created_at, f.created, now))
    if f.last_followup is not None:
        where.append(window(C.last_followup_at, f.last_followup, now))
    if f.tags:
        where.append(_tags(f.tags, f.tags_match))
    if f.purposes:
        where.append(_contains_any("purpose", f.purposes, as_list=False))
    if f.districts:
        where.append(_contains_any("districts", f.districts, as_list=True))
    if f.layouts:
        where.append(_contains_any("layouts", f.layouts, as_list=True))
    if f.budget is not None:
        where.append(_overlaps("budget_min", "budget_max", f.budget))
    if f.area is not None:
        where.append(_overlaps("area_min", "area_max", f.area))
    if f.opted_out is not None:
        where.append(C.marketing_opt_out.is_(f.opted_out))
    return where


def members(stmt: Select, f: SegmentFilter, vis: Visibility, now: datetime) -> Select:
    """`stmt` (over customers) restricted to the segment's live members in scope `vis`."""
    return store.scoped(stmt, vis).where(*LIVE, *conditions(f, now))


def count_query(f: SegmentFilter, vis: Visibility, now: datetime) -> Select:
    return members(select(func.count()).select_from(C), f, vis, now)


def page_query(f: SegmentFilter, vis: Visibility, now: datetime, page: int,
               page_size: int) -> Select:
    """The ids of one page, newest first, and one more to tell whether more follow. Only the
    id and created_at: with the covering indexes of customers_0006 the planner can find and
    sort a sparse segment from the index alone, where asking for whole rows tempts it to walk
    the company newest-first, row by row, hoping to meet 20 members soon. The rows
    themselves are then read by id."""
    return (members(select(C.id, C.created_at), f, vis, now)
            .order_by(C.created_at.desc(), C.id.desc())
            .limit(page_size + 1).offset((page - 1) * page_size))


def unknown_tag(refs: list[str], dimensions: dict) -> tuple[int, str] | None:
    """(position, why) of the first tag no dimension of the company allows; free tags
    (':value') are anything."""
    for index, ref in enumerate(refs):
        code, value = tag_parts(ref)
        if not code:
            continue
        dimension = dimensions.get(code)
        if dimension is None:
            return index, f"no tag dimension {code!r}"
        if value not in dimension.values:
            return index, f"{dimension.name} has no value {value!r}"
    return None
