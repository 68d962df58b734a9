"""Segments: saved filters over the customer base, counted and listed in the caller's scope
(a consultant's count never includes a colleague's customer), without erased or merged-away
customers."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from contracts import customers as c
from contracts.actor import Actor, Role
from contracts.common import Page
from contracts.errors import Forbidden, ValidationFailed, parse
from kit import clock
from kit.scope import visibility
from kit.service import rpc
from services.customers import segments, store
from services.customers.access import CustomersBase

SEGMENT_ROLES = (Role.consultant, Role.manager, Role.director, Role.admin, Role.integration)


def segment_view(row: store.Segment) -> dict:
    return c.SegmentView(id=row.id, name=row.name, filter=row.filter,
                         created_by=row.created_by, created_at=row.created_at).model_dump(
        mode="json")


class Segments(CustomersBase):
    """Mixin of CustomersService."""

    def _segment_actor(self, token: str) -> Actor:
        actor = self.keys.actor(token)
        if actor.role not in SEGMENT_ROLES:
            raise Forbidden("your role does not work with segments")
        return actor

    def _check_tags(self, actor: Actor, wanted: c.SegmentFilter, prefix: str = "") -> None:
        refused = segments.unknown_tag(wanted.tags, self._dimensions(actor.company_id))
        if refused is not None:
            index, message = refused
            raise ValidationFailed(message, f"{prefix}tags.{index}")

    @rpc
    def save_segment(self, token: str, spec: dict) -> dict:
        actor = self._segment_actor(token)
        new = parse(c.NewSegment, spec)
        self._check_tags(actor, new.filter, "filter.")
        row = store.Segment(id=uuid.uuid4(), company_id=actor.company_id, name=new.name,
                            filter=new.filter.model_dump(mode="json", exclude_defaults=True),
                            created_by=actor.user_id, created_at=clock.now())
        self.db.add(row)
        self.db.commit()
        return segment_view(row)

    @rpc
    def list_segments(self, token: str) -> dict:
        """The company's segments (a filter holds no personal data); every count made from
        one is in the counter's own scope."""
        actor = self._segment_actor(token)
        rows = self.db.scalars(select(store.Segment).where(
            store.Segment.company_id == actor.company_id)
            .order_by(store.Segment.created_at.desc()).limit(500))
        return {"items": [segment_view(row) for row in rows]}

    @rpc
    def segment_count(self, token: str, segment: str | dict) -> dict:
        """How many customers in your scope a saved segment (its id) or a filter holds."""
        actor = self._segment_actor(token)
        if isinstance(segment, dict):
            wanted, segment_id = parse(c.SegmentFilter, segment), None
            self._check_tags(actor, wanted)
        elif isinstance(segment, str):
            row = self._segment(actor, segment)
            wanted, segment_id = self._stored_filter(row), str(row.id)
        else:
            raise ValidationFailed("give a segment id or a filter object", "segment")
        total = self.db.scalar(segments.count_query(wanted, visibility(actor), clock.now()))
        return {"segment_id": segment_id, "count": total}

    @rpc
    def segment_customers(self, token: str, segment_id: str, page: int = 1,
                          page_size: int = 20) -> dict:
        """One page of the segment's customers in your scope, newest first."""
        actor = self._segment_actor(token)
        paging = parse(Page, {"page": page, "page_size": page_size})
        wanted = self._stored_filter(self._segment(actor, segment_id))
        ids = list(self.db.scalars(segments.page_query(
            wanted, visibility(actor), clock.now(), paging.page, paging.page_size)))
        more = len(ids) > paging.page_size
        ids = ids[:paging.page_size]
        found = {row.id: row for row in self.db.scalars(
            select(store.Customer).where(store.Customer.id.in_(ids)))}
        rows = [found[i] for i in ids if i in found]
        items = self._customer_views(rows, actor)
        for row, item in zip(rows, items, strict=True):
            item["marketing_opt_out"] = row.marketing_opt_out
        return {"segment_id": str(segment_id), "items": items, "page": paging.page,
                "page_size": paging.page_size, "has_more": more}
