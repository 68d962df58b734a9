"""What the entrypoint mixins of CustomersService share (design.md: a helper two mixins need
lives here, never in a mixin the others reach into): the scope checks (`_visible`,
`_workable`), the customer as an actor sees them (`_customer_view`), a project's setup, tags
and tag dimensions, saved segments; and the plain functions behind them.

Every mixin inherits `CustomersBase`, which declares the dependencies the service class
provides (`db`, `keys`, `emit` from kit.service.KeyuanService), so a mixin reads on its own:
its own methods, this base, and domain and store functions."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from contracts import customers as c
from contracts.actor import Actor
from contracts.errors import Conflict, Forbidden, NotFound, parse_id
from kit import phones
from kit.scope import visibility
from kit.service import Worker
from services.customers import domain, project_setup, store
from services.customers.project_setup import ProjectSetup


def phone_views(rows: list[store.CustomerPhone], full: bool,
                open_phone: Callable[[str], str]) -> list[dict]:
    """The extra phones as the viewer may see them (full only for the owner)."""
    return [{"id": str(r.id), "label": r.label, "masked": not full,
             "phone": phones.national(open_phone(r.phone_enc)) if full else r.phone_masked}
            for r in rows]


def phones_of(session: Session,
              customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[store.CustomerPhone]]:
    P = store.CustomerPhone
    found: dict[uuid.UUID, list[store.CustomerPhone]] = {}
    for row in session.scalars(select(P).where(P.customer_id.in_(list(customer_ids)))
                               .order_by(P.added_at, P.id)):
        found.setdefault(row.customer_id, []).append(row)
    return found


def setups(session: Session,
           project_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ProjectSetup]:
    """Each project's setup (the standard one where it configured nothing)."""
    wanted = {p for p in project_ids if p is not None}
    if not wanted:
        return {}
    if session.new or session.dirty:
        session.flush()  # a change made in this transaction is read back
    return {row.project_id: project_setup.setup_from(row.stages, row.labels, row.required,
                                                     row.optional)
            for row in session.execute(_SETUPS, {"ids": list(wanted)})}


# Both halves of the projects' setups in one round trip, a row for every project asked
# about (NULLs where it keeps the standard).
_SETUPS = text("""
    SELECT p.project_id, f.stages, f.labels, r.required, r.optional
    FROM unnest(CAST(:ids AS uuid[])) AS p(project_id)
    LEFT JOIN customers.project_funnels f ON f.project_id = p.project_id
    LEFT JOIN customers.project_profile_fields r ON r.project_id = p.project_id""")


def marketing_view(row: store.Customer) -> dict:
    return {"customer_id": str(row.id), "marketing_opt_out": row.marketing_opt_out,
            "opted_out_at": row.opted_out_at.isoformat() if row.opted_out_at else None,
            "referrer_id": str(row.referrer_id) if row.referrer_id else None,
            "referral_reward": row.referral_reward}


class CustomersBase(Worker):
    """Base of every entrypoint mixin of CustomersService: the dependencies the service class
    provides (kit.service.Worker declares them for the type checker) and the helpers several
    mixins use."""

    # --- scope ----------------------------------------------------------------------------

    def _visible(self, actor: Actor, customer_id: object,
                 lock: bool = False) -> store.Customer:
        wanted = parse_id(customer_id, "customer_id")
        stmt = store.scoped(select(store.Customer), visibility(actor)).where(
            store.Customer.id == wanted)
        row = self.db.scalars(stmt.with_for_update() if lock else stmt).first()
        if row is None:
            raise NotFound("no such customer", "customer_id")
        return row

    def _workable(self, token: str, customer_id: object) -> tuple[Actor, store.Customer]:
        actor = self.keys.actor(token)
        if not domain.may_work_on(actor):
            raise Forbidden("your role does not work on customers")
        customer = self._visible(actor, customer_id, lock=True)
        if customer.erased_at is not None or customer.merged_into is not None:
            raise Conflict("this customer was erased" if customer.erased_at else
                           f"this customer was merged into {customer.merged_into}; work on "
                           "that one", "customer_id")
        return actor, customer

    # --- the customer as an actor sees them -------------------------------------------------

    def _customer_view(self, customer: store.Customer, actor: Actor,
                       setup: ProjectSetup | None = None, tags: dict | None = None,
                       extra_phones: list | None = None) -> dict:
        """The customer as `actor` sees them: profile, tags, extra phones, the project's
        stage names and completeness."""
        if tags is None:
            tags = self._tags_of([customer.id]).get(customer.id, {})
        if extra_phones is None:
            extra_phones = phones_of(self.db, [customer.id]).get(customer.id, [])
        shown = domain.view(customer, actor, self.keys.vault.open_phone, tags,
                            setup or self._setup(customer.project_id)).model_dump(mode="json")
        shown["phones"] = self._extra_phone_views(customer, actor, extra_phones)
        return shown

    def _customer_views(self, customers: list[store.Customer], actor: Actor) -> list[dict]:
        ids = [x.id for x in customers]
        tags, extra = self._tags_of(ids), phones_of(self.db, ids)
        setups = self._setups({x.project_id for x in customers})
        return [self._customer_view(x, actor, setups[x.project_id], tags.get(x.id, {}),
                                    extra.get(x.id, [])) for x in customers]

    def _extra_phone_views(self, customer: store.Customer, actor: Actor,
                           rows: list[store.CustomerPhone]) -> list[dict]:
        return phone_views(rows, domain.shows_full_phone(actor, customer.owner_id),
                           self.keys.vault.open_phone)

    # --- project setups, tags, tag dimensions -----------------------------------------------

    def _setups(self, project_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ProjectSetup]:
        return setups(self.db, project_ids)

    def _setup(self, project_id: uuid.UUID) -> ProjectSetup:
        return self._setups([project_id]).get(project_id, project_setup.STANDARD)

    def _tags_of(self, customer_ids: Iterable[uuid.UUID]) -> dict:
        return store.tags_of(self.db, customer_ids)

    def _dimensions(self, company_id: uuid.UUID) -> dict[str, c.TagDimension]:
        rows = list(self.db.scalars(select(store.TagDimension).where(
            store.TagDimension.company_id == company_id)))
        if not rows:
            return {d.code: d for d in domain.DEFAULT_DIMENSIONS}
        return {r.code: c.TagDimension(code=r.code, name=r.name, values=list(r.values),
                                       multi=r.multi) for r in rows}

    # --- saved segments ---------------------------------------------------------------------

    def _segment(self, actor: Actor, segment_id: object) -> store.Segment:
        wanted = parse_id(segment_id, "segment_id")
        row = self.db.get(store.Segment, wanted)
        if row is None or row.company_id != actor.company_id:
            raise NotFound("no such segment", "segment_id")
        return row

    def _stored_filter(self, row: store.Segment) -> c.SegmentFilter:
        return c.SegmentFilter.model_validate(row.filter)
