"""A project's setup of the customer profile (director or admin): its funnel and stage names,
its required and optional profile fields; the completeness ranking managers read; and the
background recount of a project's completeness after its fields change."""

from __future__ import annotations

import logging
import uuid

from nameko.timer import timer
from sqlalchemy import func, select

from contracts import customers as c
from contracts.actor import Actor, Role
from contracts.errors import Forbidden, parse
from kit import clock
from kit.db import locked_row
from kit.scope import project_of, visibility
from kit.service import rpc
from services.customers import domain, project_setup, store
from services.customers.access import CustomersBase, setups
from services.customers.project_setup import ProjectSetup

log = logging.getLogger(__name__)

C = store.Customer
EDITORS = (Role.admin, Role.director)
RECOUNT_BATCH = 500
RECOUNT_BATCHES_PER_TICK = 20
# Below this a profile counts as poorly kept in the ranking.
WEAK_PROFILE = 60


class ProjectSetups(CustomersBase):
    """Mixin of CustomersService."""

    def _setup_project(self, actor: Actor, project_id, *, editing: bool = False) -> uuid.UUID:
        wanted = project_of(actor, project_id)
        if editing and actor.role not in EDITORS:
            raise Forbidden("only the project's director or an admin changes its setup")
        return wanted

    # --- the funnel -----------------------------------------------------------------------

    @rpc
    def get_funnel(self, token: str, project_id: str) -> dict:
        actor = self.keys.actor(token)
        return _funnel_view(self._setup(self._setup_project(actor, project_id)))

    @rpc
    def update_funnel(self, token: str, project_id: str, funnel: dict) -> dict:
        """Which standard stages the project uses, in order, and its own names for them."""
        actor = self.keys.actor(token)
        project = self._setup_project(actor, project_id, editing=True)
        config = parse(c.FunnelConfig, funnel)
        domain.check_funnel(config)
        project_setup.check_labels(config)
        now = clock.now()
        stages = [s.value for s in config.stages]
        row = locked_row(self.db, store.ProjectFunnel, project, company_id=actor.company_id,
                         stages=stages, updated_at=now, updated_by=actor.user_id)
        row.stages = stages
        row.labels = {s.value: name for s, name in config.labels.items()
                      if name != c.STAGE_LABELS[s]}
        row.updated_at, row.updated_by = now, actor.user_id
        self.db.commit()
        return _funnel_view(self._setup(project))

    # --- profile fields and completeness ----------------------------------------------------

    @rpc
    def get_profile_fields(self, token: str, project_id: str) -> dict:
        actor = self.keys.actor(token)
        project = self._setup_project(actor, project_id)
        row = self.db.get(store.ProjectProfileFields, project)
        return _fields_view(self._setup(project), row)

    @rpc
    def update_profile_fields(self, token: str, project_id: str, fields: dict) -> dict:
        """Replace the project's required and optional fields. Every customer of the project
        shows the new completeness at once; the stored one (ranking, sorting) is recounted
        in the background, `recount_pending` until it is done."""
        actor = self.keys.actor(token)
        project = self._setup_project(actor, project_id, editing=True)
        wanted = parse(c.ProfileFields, fields)
        project_setup.check_profile_fields(wanted, set(self._dimensions(actor.company_id)))
        now = clock.now()
        # A new row starts empty (no setting can be), so the first change counts as one.
        row = locked_row(self.db, store.ProjectProfileFields, project,
                         company_id=actor.company_id, required=[], optional=[], revision=0,
                         updated_at=now, updated_by=actor.user_id)
        if (list(row.required), list(row.optional)) != (wanted.required, wanted.optional):
            row.required, row.optional = wanted.required, wanted.optional
            row.revision += 1
            row.recompute_after = None   # a recount under way starts over
            row.updated_at, row.updated_by = now, actor.user_id
        self.db.commit()
        return _fields_view(self._setup(project), row)

    @timer(interval=2)
    def recount_completeness(self) -> None:
        """Bring stored completeness in line with changed project fields, a batch at a time
        (one replica per project at a time: SKIP LOCKED)."""
        try:
            for _ in range(RECOUNT_BATCHES_PER_TICK):
                if not recount_batch(self.db):
                    break
        except Exception:
            self.db.rollback()
            log.exception("recounting completeness failed")

    @rpc
    def completeness_ranking(self, token: str, query: dict | None = None) -> dict:
        """Consultants by their customers' average profile completeness, best first, over
        the customers the caller may see (a consultant: their own line)."""
        actor = self.keys.actor(token, Role.consultant, Role.manager, Role.director,
                                Role.admin)
        q = parse(c.CompletenessQuery, query)
        stmt = store.scoped(select(
            C.owner_id, func.count().label("customers"),
            func.avg(C.completeness).label("average"),
            func.count().filter(C.completeness < WEAK_PROFILE).label("weak"),
        ), visibility(actor)).where(
            C.owner_id.is_not(None), C.erased_at.is_(None), C.merged_into.is_(None),
            C.stage.not_in([s.value for s in c.OFF_RAMPS]))
        if q.project_id is not None:
            stmt = stmt.where(C.project_id == q.project_id)
        rows = self.db.execute(stmt.group_by(C.owner_id)).all()
        names = dict(self.db.execute(select(store.Users.c.id, store.Users.c.name).where(
            store.Users.c.id.in_([r.owner_id for r in rows]))).tuples().all()) if rows else {}
        ranked = sorted(rows, key=lambda r: (-float(r.average), -r.customers, str(r.owner_id)))
        return {"weak_below": WEAK_PROFILE, "items": [
            {"rank": i, "owner_id": str(r.owner_id), "owner_name": names.get(r.owner_id, ""),
             "customers": r.customers, "average_completeness": round(float(r.average), 1),
             "weak_profiles": r.weak} for i, r in enumerate(ranked, start=1)]}


def _funnel_view(setup: ProjectSetup) -> dict:
    return {"stages": [s.value for s in setup.stages], "labels": setup.all_labels(),
            "renamed": {s.value: name for s, name in setup.labels.items()}}


def _fields_view(setup: ProjectSetup, row: store.ProjectProfileFields | None) -> dict:
    return {"required": list(setup.required), "optional": list(setup.optional),
            "weights": {"required": project_setup.REQUIRED_WEIGHT,
                        "optional": project_setup.OPTIONAL_WEIGHT},
            "standard": row is None,
            "recount_pending": row is not None
            and row.recomputed_revision < row.revision}


def recount_batch(session, batch: int = RECOUNT_BATCH) -> bool:
    """Recount the stored completeness of one batch of one project whose fields changed
    (SKIP LOCKED: one replica per project at a time) and commit; False when none waits."""
    P = store.ProjectProfileFields
    row = session.scalars(select(P).where(P.recomputed_revision < P.revision)
                          .with_for_update(skip_locked=True).limit(1)).first()
    if row is None:
        session.rollback()
        return False
    stmt = select(C).where(C.company_id == row.company_id, C.project_id == row.project_id)
    if row.recompute_after is not None:
        stmt = stmt.where(C.id > row.recompute_after)
    customers = list(session.scalars(stmt.order_by(C.id).limit(batch)))
    setup = setups(session, [row.project_id])[row.project_id]
    tags = store.tags_of(session, [x.id for x in customers])
    for customer in customers:
        percent = project_setup.score_of(customer, tags.get(customer.id, {}), setup).percent
        if customer.completeness != percent:
            customer.completeness = percent
    if len(customers) < batch:
        row.recomputed_revision, row.recompute_after = row.revision, None
    else:
        row.recompute_after = customers[-1].id
    session.commit()
    return True
