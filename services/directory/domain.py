"""Directory rules: passwords, what an Actor may do, and the facts other services copy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from contracts.actor import Actor, Role
from contracts.directory import ProjectFact, TeamFact, UserFact
from kit import auth

_hasher = PasswordHasher()

# A hash of a random password, verified when the username is unknown so that a wrong
# username costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("keyuan-no-such-user")

SCOPES_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.admin: ("pii:reveal", "export", "directory:write"),
    Role.director: ("pii:reveal", "export"),
    Role.manager: ("export",),
    Role.integration: ("pii:reveal",),
}


# No password matches this (it is no argon2 hash): a user holding it cannot log in.
NO_PASSWORD = "!"


SYSTEM_USER_NAME = "系统 system"


def system_username(company_id) -> str:
    """The company's `system` user's username (usernames are unique across companies)."""
    return f"{auth.SYSTEM_USERNAME}@{company_id}"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def effective_projects(user, team_project_id=None) -> list:
    """The user's own projects plus their team's project."""
    projects = list(user.project_ids or [])
    if team_project_id and team_project_id not in projects:
        projects.append(team_project_id)
    return projects


def effective_scopes(user) -> list[str]:
    """The role's scopes plus those granted to the user, in a stable order."""
    role_scopes = SCOPES_BY_ROLE.get(Role(user.role), ())
    granted = [s for s in (getattr(user, "scopes", None) or []) if s not in role_scopes]
    return [*role_scopes, *sorted(set(granted))]


def actor_of(user, team_project_id=None) -> Actor:
    return Actor(user_id=user.id, company_id=user.company_id, role=Role(user.role),
                 name=user.name, team_id=user.team_id,
                 project_ids=tuple(effective_projects(user, team_project_id)),
                 scopes=tuple(effective_scopes(user)))


def user_fact(user, team_project_id=None) -> UserFact:
    return UserFact(id=user.id, company_id=user.company_id, name=user.name, role=Role(user.role),
                    team_id=user.team_id,
                    project_ids=effective_projects(user, team_project_id),
                    active=user.active, on_duty=user.on_duty, revision=user.revision,
                    username=user.username, scopes=effective_scopes(user))


def project_fact(project) -> ProjectFact:
    return ProjectFact(id=project.id, company_id=project.company_id, name=project.name,
                       city=project.city, revision=project.revision,
                       districts=list(project.districts or []), active=project.active)


def team_fact(team) -> TeamFact:
    return TeamFact(id=team.id, company_id=team.company_id, project_id=team.project_id,
                    name=team.name, manager_id=team.manager_id, revision=team.revision,
                    active=team.active)


def may_set_duty(actor: Actor, target) -> bool:
    """A consultant sets their own duty status; a manager their team's; admin anyone's."""
    if target.company_id != actor.company_id:
        return False
    if actor.user_id == target.id or actor.role == Role.admin:
        return True
    return actor.role == Role.manager and target.team_id is not None \
        and target.team_id == actor.team_id
