"""Queries of directory administration: lists with filters and paging, each restricted in
SQL to what the caller may see (the same rules as admin_rules.sees_*), and the
idempotency of creates."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, cast, false, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session

from contracts import directory_admin as c
from contracts.actor import Actor, Role
from contracts.errors import Conflict, ValidationFailed
from kit import auth, clock
from kit.db import locked_row
from services.directory import admin_rules
from services.directory.store import IdempotencyKey, Project, Team, User


def _page(session: Session, stmt: Select, order, q) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.order_by(*order).limit(q.page_size)
                           .offset((q.page - 1) * q.page_size)).all()
    return list(rows), total or 0


def _contains(column, text: str):
    return column.icontains(text, autoescape=True)


# --- projects ---------------------------------------------------------------------------

def visible_projects(actor: Actor) -> Select:
    stmt = select(Project).where(Project.company_id == actor.company_id)
    if actor.role == Role.admin:
        return stmt
    if actor.role in admin_rules.READERS:
        return stmt.where(Project.id.in_(actor.project_ids))
    return stmt.where(false())


def list_projects(session: Session, actor: Actor, q: c.ProjectQuery) -> tuple[list, int]:
    stmt = visible_projects(actor)
    if q.city:
        stmt = stmt.where(Project.city == q.city)
    if q.active is not None:
        stmt = stmt.where(Project.active.is_(q.active))
    if q.q:
        stmt = stmt.where(_contains(Project.name, q.q))
    return _page(session, stmt, (Project.name, Project.id), q)


# --- teams ------------------------------------------------------------------------------

def visible_teams(actor: Actor) -> Select:
    stmt = select(Team).where(Team.company_id == actor.company_id)
    match actor.role:
        case Role.admin:
            return stmt
        case Role.director:
            return stmt.where(Team.project_id.in_(actor.project_ids))
        case Role.manager if actor.team_id is not None:
            return stmt.where(Team.id == actor.team_id)
    return stmt.where(false())


def list_teams(session: Session, actor: Actor, q: c.TeamQuery) -> tuple[list, int]:
    stmt = visible_teams(actor)
    if q.project_id:
        stmt = stmt.where(Team.project_id == q.project_id)
    if q.active is not None:
        stmt = stmt.where(Team.active.is_(q.active))
    if q.q:
        stmt = stmt.where(_contains(Team.name, q.q))
    return _page(session, stmt, (Team.name, Team.id), q)


def member_counts(session: Session, team_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not team_ids:
        return {}
    rows = session.execute(select(User.team_id, func.count()).where(
        User.team_id.in_(team_ids), User.active.is_(True)).group_by(User.team_id))
    return {team: count for team, count in rows.tuples() if team is not None}


def teams_managed_by(session: Session, user_id: uuid.UUID) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.manager_id == user_id,
                                                   Team.active.is_(True)).order_by(Team.name)))


# --- users ------------------------------------------------------------------------------

def effective_projects_sql():
    """The user's own projects plus their team's (domain.effective_projects, in SQL)."""
    team_project = (select(Team.project_id)
                    .where(Team.id == User.team_id, Team.project_id.is_not(None))
                    .correlate(User).scalar_subquery())
    uuids = ARRAY(UUID(as_uuid=True))
    return func.array_cat(User.project_ids, func.array(team_project, type_=uuids), type_=uuids)


def visible_users(actor: Actor) -> Select:
    """admin_rules.sees_user in SQL. The company's `system` integration user (the services'
    own principal, kit.auth.system_user_id) is nobody's to administer and is not listed."""
    stmt = select(User).where(User.company_id == actor.company_id,
                              User.id != auth.system_user_id(actor.company_id))
    match actor.role:
        case Role.admin:
            return stmt
        case Role.director:
            effective = effective_projects_sql()
            mine = cast(literal([str(p) for p in actor.project_ids]),
                        ARRAY(UUID(as_uuid=True)))
            return stmt.where(User.role.not_in([r.value for r in admin_rules.ADMIN_ONLY_ROLES]),
                              func.cardinality(effective) > 0, effective.contained_by(mine))
        case Role.manager if actor.team_id is not None:
            return stmt.where(User.team_id == actor.team_id)
    return stmt.where(false())


def list_users(session: Session, actor: Actor, q: c.UserQuery) -> tuple[list, int]:
    stmt = visible_users(actor)
    if q.role:
        stmt = stmt.where(User.role == q.role.value)
    if q.team_id:
        stmt = stmt.where(User.team_id == q.team_id)
    if q.project_id:
        stmt = stmt.where(or_(User.project_ids.any(q.project_id),  # type: ignore[arg-type]  # SQLAlchemy types a mapped ARRAY's .any() as a relationship's
                              User.team_id.in_(select(Team.id).where(
                                  Team.project_id == q.project_id))))
    if q.active is not None:
        stmt = stmt.where(User.active.is_(q.active))
    if q.q:
        stmt = stmt.where(or_(_contains(User.name, q.q), _contains(User.username, q.q)))
    return _page(session, stmt, (User.username, User.id), q)


def username_taken(session: Session, username: str, but: uuid.UUID | None = None) -> bool:
    stmt = select(User.id).where(User.username == username)
    if but is not None:
        stmt = stmt.where(User.id != but)
    return session.scalar(stmt.limit(1)) is not None


def lock_other_active_admins(session: Session, company_id: uuid.UUID,
                             but: uuid.UUID) -> int:
    """How many other active admins the company has, their rows locked (in id order, so
    two admins demoting each other at once are serialised and one of them is refused)."""
    rows = session.scalars(select(User.id).where(
        User.company_id == company_id, User.role == Role.admin.value,
        User.active.is_(True)).order_by(User.id).with_for_update()).all()
    return sum(1 for row in rows if row != but)


# --- idempotent creates -------------------------------------------------------------------

def fingerprint(request: dict) -> str:
    """A digest of a create's request, without its password."""
    data = {k: v for k, v in request.items() if k != "password"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def claim_key(session: Session, company_id: uuid.UUID, kind: str, key: str | None,
              request: dict) -> tuple[uuid.UUID, bool]:
    """The id a create makes, and whether it is new. With an Idempotency-Key the first
    request takes a fresh id and every retry (same key, same request) gets that id back with
    `False`; the same key with a different request is 409. Concurrent retries wait for the
    first one's transaction (the key row is locked)."""
    new_id = uuid.uuid4()
    if key is None:
        return new_id, True
    if not isinstance(key, str) or not 0 < len(key) <= 200:
        raise ValidationFailed("must be 1 to 200 characters", "Idempotency-Key")
    digest = fingerprint(request)
    row = locked_row(session, IdempotencyKey, (company_id, kind, key), fingerprint=digest,
                     entity_id=new_id, created_at=clock.now())
    if row.entity_id == new_id:
        return new_id, True
    if row.fingerprint != digest:
        raise Conflict(f"this Idempotency-Key was used for a different {kind}",
                       "Idempotency-Key")
    return row.entity_id, False

