"""Bulk reassignment (批量转移) without a departure: which customers a request selects, in
the caller's scope, and whether its plan names colleagues who may receive them.

A selection is refused whole when any customer named by id is outside the caller's scope
(404, nothing moved): a partial move would leave the caller to find out which ones stayed."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import handover as c
from contracts.actor import Actor, Role
from contracts.errors import NotFound, ValidationFailed
from services.leads import domain, pool, store

K = store.CustomerKey
U = store.Users.c


def _in_scope(stmt, actor: Actor):
    """Owned, live customers of the company that the actor may reassign (domain.may_reassign
    as SQL)."""
    stmt = stmt.where(K.company_id == actor.company_id, K.owner_id.is_not(None),
                      K.merged_into.is_(None))
    if actor.role == Role.director:
        return stmt.where(K.project_id.in_(list(actor.project_ids)))
    if actor.role == Role.manager:
        return stmt.where(K.owner_id.in_(select(U.id).where(U.team_id == actor.team_id)))
    return stmt


def selected(session: Session, actor: Actor, request: c.ReassignRequest) -> list[tuple]:
    """(customer_id, project_id, owner_id) of every customer the request selects."""
    stmt = _in_scope(select(K.customer_id, K.project_id, K.owner_id), actor)
    if request.customer_ids is not None:
        wanted = set(request.customer_ids)
        rows = [tuple(r) for r in session.execute(stmt.where(K.customer_id.in_(wanted))
                                                  .order_by(K.customer_id))]
        if len(rows) != len(wanted):
            raise NotFound(f"{len(wanted) - len(rows)} of the customers are not yours to "
                           "reassign (nothing was moved)", "customer_ids")
        return rows
    chosen = request.filter   # contracts: customer_ids or filter, never neither
    assert chosen is not None
    if chosen.owner_id is not None:
        team = pool.team_of(session, chosen.owner_id)
        owner = session.execute(select(U.company_id).where(U.id == chosen.owner_id)).first()
        if owner is None or owner.company_id != actor.company_id or (
                actor.role == Role.manager and team != actor.team_id):
            raise NotFound("no such consultant", "filter.owner_id")
        stmt = stmt.where(K.owner_id == chosen.owner_id)
    if chosen.project_id is not None:
        if actor.role != Role.admin and chosen.project_id not in actor.project_ids:
            raise NotFound("no such project", "filter.project_id")
        stmt = stmt.where(K.project_id == chosen.project_id)
    many = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    if many == 0:
        raise ValidationFailed("no customer of yours matches", "filter")
    if many > c.MAX_REASSIGN:
        raise ValidationFailed(f"{many} customers match; at most {c.MAX_REASSIGN} at once",
                               "filter")
    return [tuple(r) for r in session.execute(stmt.order_by(K.customer_id))]


def check_plan(session: Session, actor: Actor, plan: c.HandoverPlan,
               projects: set[uuid.UUID | None]) -> None:
    """Every colleague the plan names must be an active consultant of each project whose
    customers the rule gives them (a manager's: of the manager's team); a per-project rule
    must be about a project of the selection. A refusal names the field."""
    for project_id in plan.projects:
        if project_id not in projects:
            raise ValidationFailed("none of the selected customers is of this project",
                                   f"projects.{project_id}")
    for prefix, ruled_project, rule in plan.rules():
        if rule.mode != c.HandoverMode.colleague:
            continue
        covered = {ruled_project} if ruled_project is not None else {
            p for p in projects if p not in plan.projects}
        for project in covered:
            if not pool.is_assignable(session, rule.to_user_id, project):
                raise ValidationFailed("not an active consultant of the customers' project",
                                       f"{prefix}to_user_id")
        if actor.role == Role.manager and pool.team_of(session, rule.to_user_id) \
                != actor.team_id:
            raise ValidationFailed("a manager hands customers only to their own team",
                                   f"{prefix}to_user_id")


def fingerprint(request: c.ReassignRequest) -> str:
    data = request.model_dump(mode="json")
    data["customer_ids"] = sorted(data["customer_ids"]) if data["customer_ids"] else None
    data["projects"] = dict(sorted(data["projects"].items()))
    if data["reason"] is None:
        del data["reason"]   # as before reasons were given: those keys' retries still match
    return domain.request_hash(data)


def may_read(session: Session, actor: Actor, handover: store.Handover) -> bool:
    """Who sees a reassignment's progress: whoever asked for it, their team's manager, the
    directors of the projects it touched, admins."""
    if handover.company_id != actor.company_id:
        return False
    if actor.role == Role.admin or actor.user_id == handover.requested_by:
        return True
    if actor.role == Role.manager:
        return handover.team_id is not None and handover.team_id == actor.team_id
    if actor.role == Role.director:
        touched = set(session.scalars(select(store.HandoverItem.project_id).distinct().where(
            store.HandoverItem.handover_id == handover.id)))
        return bool(touched) and touched <= set(actor.project_ids)
    return False
