"""Who may administer what in the directory (pure: no I/O; unit-tested).

- admin: every project, team and user of the company; the only one who creates or changes
  projects, grants any scope, assigns the roles admin, director and integration, and
  (de)activates users through PATCH.
- director: the teams of their projects and the users whose projects all lie within theirs
  (never admins, directors or integrations); grants only scopes they hold themselves.
- manager: reads their own team and its users; changes nothing.
- anyone else: 403 for any administration.

Objects outside the caller's sight answer 404; ids named in a body that are not an active
part of the company (or not the caller's) are refused naming the field (422)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from contracts.actor import Actor, Role
from contracts.directory import UserFact
from contracts.errors import Conflict, Forbidden, ValidationFailed
from kit import auth

READERS = frozenset({Role.admin, Role.director, Role.manager})
WRITERS = frozenset({Role.admin, Role.director})
# Roles above a director (or outside the sales line) that only an admin gives or manages.
ADMIN_ONLY_ROLES = frozenset({Role.admin, Role.director, Role.integration})


class ProjectLike(Protocol):
    id: UUID
    company_id: UUID
    active: bool


class TeamLike(Protocol):
    id: UUID
    company_id: UUID
    project_id: UUID | None
    manager_id: UUID | None
    active: bool


def require_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden(f"role {actor.role.value} may not administer the directory")


def require_writer(actor: Actor) -> None:
    if actor.role not in WRITERS:
        raise Forbidden(f"role {actor.role.value} may not change the directory")


def require_admin(actor: Actor, what: str, field: str | None = None) -> None:
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may {what}", field)


# --- sight --------------------------------------------------------------------------------

def sees_project(actor: Actor, project: ProjectLike) -> bool:
    if project.company_id != actor.company_id or actor.role not in READERS:
        return False
    return actor.role == Role.admin or project.id in actor.project_ids


def sees_team(actor: Actor, team: TeamLike) -> bool:
    if team.company_id != actor.company_id:
        return False
    match actor.role:
        case Role.admin:
            return True
        case Role.director:
            return team.project_id is not None and team.project_id in actor.project_ids
        case Role.manager:
            return actor.team_id is not None and team.id == actor.team_id
    return False


def sees_user(actor: Actor, user: UserFact) -> bool:
    """`user` as its fact: effective projects (theirs and their team's). The company's
    `system` integration user is nobody's to see or administer."""
    if user.company_id != actor.company_id or user.id == auth.system_user_id(user.company_id):
        return False
    match actor.role:
        case Role.admin:
            return True
        case Role.director:
            return (user.role not in ADMIN_ONLY_ROLES and bool(user.project_ids)
                    and set(user.project_ids) <= set(actor.project_ids))
        case Role.manager:
            return actor.team_id is not None and user.team_id == actor.team_id
    return False


def manages_team(actor: Actor, team: TeamLike) -> bool:
    return actor.role in WRITERS and sees_team(actor, team)


def manages_user(actor: Actor, user: UserFact) -> bool:
    return actor.role in WRITERS and sees_user(actor, user)


# --- what a plan may name -------------------------------------------------------------------

def check_role(actor: Actor, role: Role) -> None:
    if role in ADMIN_ONLY_ROLES:
        require_admin(actor, f"give the role {role.value}", "role")


def check_scopes(actor: Actor, scopes: Iterable[str]) -> None:
    """A director grants only scopes they hold themselves; an admin any grantable one."""
    if actor.role == Role.admin:
        return
    missing = sorted(set(scopes) - set(actor.scopes))
    if missing:
        raise Forbidden(f"you may not grant {', '.join(missing)}", "scopes")


def check_project_choice(actor: Actor, project: ProjectLike | None, field: str) -> None:
    """A project a team belongs to or a user is given: active, of the company, and one of a
    director's own. Missing and out of sight read the same."""
    if project is None or project.company_id != actor.company_id or not project.active or (
            actor.role != Role.admin and project.id not in actor.project_ids):
        raise ValidationFailed("no such active project of yours", field)


def check_team_choice(actor: Actor, team: TeamLike | None, field: str = "team_id") -> None:
    if team is None or not team.active or not manages_team(actor, team):
        raise ValidationFailed("no such active team of yours", field)


def check_manager_choice(actor: Actor, manager: UserFact | None, team_id: UUID | None,
                         field: str = "manager_id") -> None:
    """A team's manager: an active user with role manager of the company, in sight of the
    caller, who belongs to no team or to this one (assigning them moves them into it)."""
    if manager is None or not manager.active or manager.company_id != actor.company_id or (
            actor.role != Role.admin and not sees_user(actor, manager)):
        raise ValidationFailed("no such active manager of yours", field)
    if manager.role != Role.manager:
        raise ValidationFailed(f"{manager.username or manager.id} is a {manager.role.value}, "
                               "not a manager", field)
    if manager.team_id is not None and manager.team_id != team_id:
        raise ValidationFailed(f"{manager.username or manager.id} is a member of another team; "
                               "move them first", field)


def check_in_sight_after(actor: Actor, user: UserFact) -> None:
    """A director's user must stay theirs: a team or projects within the director's."""
    if actor.role == Role.director and not sees_user(actor, user):
        raise ValidationFailed("give the user a team or a project of yours", "team_id")


def check_last_admin(before: UserFact, after_role: Role, after_active: bool,
                     other_active_admins: int) -> None:
    """The company keeps at least one active admin: the last one may not be demoted or
    deactivated (409 naming the field that would do it)."""
    if before.role != Role.admin or not before.active or other_active_admins > 0:
        return
    if after_role != Role.admin:
        raise Conflict("the company's last active admin keeps the role admin", "role")
    if not after_active:
        raise Conflict("the company's last active admin may not be deactivated", "active")


def check_team_manager_kept(managed_team_names: list[str], role: Role, team_changed: bool,
                            active: bool) -> None:
    """A user who manages a team stays a manager, in it and active until the team gets
    another manager (409 naming the field)."""
    if not managed_team_names:
        return
    teams = ", ".join(managed_team_names)
    hint = f"manages {teams}: give the team another manager first"
    if role != Role.manager:
        raise Conflict(hint, "role")
    if team_changed:
        raise Conflict(hint, "team_id")
    if not active:
        raise Conflict(hint, "active")
