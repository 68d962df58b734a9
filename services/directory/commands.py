"""Writes to the directory, each recording its fact in the outbox in the same transaction.
Used by the service's RPCs and by `keyuan demo-data` / `keyuan user`."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts import directory as c
from contracts.actor import Role
from kit import auth, clock, outbox
from services.directory import domain
from services.directory.store import Company, Outbox, Project, RevokedToken, Team, User


def _emit(session: Session, event_type: str, payload) -> None:
    outbox.record(session, Outbox, c.SERVICE, event_type, payload)


def fact_of(session: Session, user: User) -> c.UserFact:
    """The user's fact as other services keep it (their team's project counted in)."""
    team = session.get(Team, user.team_id) if user.team_id else None
    return domain.user_fact(user, team.project_id if team else None)


def upsert_company(session: Session, company_id: uuid.UUID, name: str) -> Company:
    """The company, and its `system` integration user with it (made once)."""
    company = session.get(Company, company_id) or Company(id=company_id)
    company.name = name
    session.add(company)
    session.flush()
    if session.get(User, auth.system_user_id(company_id)) is None:
        _add_system_user(session, company_id)
    return company


def _add_system_user(session: Session, company_id: uuid.UUID) -> User:
    """The company's own integration user (e.g. the tasks service's notifier reading a
    campaign's recipients from the customers service): its id computed from the company's
    (kit.auth.system_user_id), no password, no team, no project."""
    user = User(id=auth.system_user_id(company_id), company_id=company_id,
                username=domain.system_username(company_id),
                password_hash=domain.NO_PASSWORD, name=domain.SYSTEM_USER_NAME,
                role=Role.integration.value, team_id=None, project_ids=[], active=True,
                on_duty=False, scopes=[], revision=1)
    session.add(user)
    session.flush()
    _emit(session, c.USER_UPSERTED, fact_of(session, user))
    return user


def publish_project(session: Session, project: Project) -> Project:
    """A new revision of the project, its fact in the outbox."""
    project.revision = (project.revision or 0) + 1
    session.add(project)
    session.flush()
    _emit(session, c.PROJECT_UPSERTED, domain.project_fact(project))
    return project


def publish_team(session: Session, team: Team) -> Team:
    team.revision = (team.revision or 0) + 1
    session.add(team)
    session.flush()
    _emit(session, c.TEAM_UPSERTED, domain.team_fact(team))
    return team


def publish_user(session: Session, user: User) -> User:
    """A new revision of the user, their fact (commands.fact_of) in the outbox."""
    user.revision = (user.revision or 0) + 1
    session.add(user)
    session.flush()
    _emit(session, c.USER_UPSERTED, fact_of(session, user))
    return user


def republish_members(session: Session, team: Team) -> int:
    """Every member's fact again (their effective projects follow the team's project)."""
    members = session.scalars(select(User).where(User.team_id == team.id)
                              .order_by(User.id).with_for_update()).all()
    for member in members:
        publish_user(session, member)
    return len(members)


def upsert_project(session: Session, project_id: uuid.UUID, company_id: uuid.UUID, name: str,
                   city: str, districts: list[str] | None = None) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        project = Project(id=project_id, company_id=company_id, revision=0, districts=[],
                          active=True)
    project.name, project.city = name, city
    if districts is not None:
        project.districts = list(districts)
    return publish_project(session, project)


def upsert_team(session: Session, team_id: uuid.UUID, company_id: uuid.UUID, name: str,
                project_id: uuid.UUID | None, manager_id: uuid.UUID | None = None) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        team = Team(id=team_id, company_id=company_id, revision=0, active=True)
    team.name, team.project_id, team.manager_id = name, project_id, manager_id
    return publish_team(session, team)


def upsert_user(session: Session, user_id: uuid.UUID, company_id: uuid.UUID, username: str,
                password: str | None, name: str, role: str, team_id: uuid.UUID | None,
                project_ids: list[uuid.UUID], active: bool = True) -> User:
    """Create or update a user as `keyuan user create` and the demo data do: the password
    given is theirs to keep (no change required at login)."""
    user = session.get(User, user_id)
    if user is None:
        user = User(id=user_id, company_id=company_id, revision=0, on_duty=True, scopes=[],
                    must_change_password=False)
    user.username, user.name, user.role = username, name, role
    user.team_id, user.project_ids, user.active = team_id, list(project_ids), active
    if password is not None:
        set_password(user, password, must_change=False)
    return publish_user(session, user)


def set_password(user: User, password: str, *, must_change: bool) -> None:
    """Store the password's argon2 hash; `must_change` for an initial or reset one."""
    user.password_hash = domain.hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = clock.now()


def set_duty(session: Session, user: User, on_duty: bool) -> User:
    if user.on_duty != on_duty:
        user.on_duty = on_duty
        publish_user(session, user)
    return user


def revoke_token(session: Session, ended: c.TokenRevoked) -> bool:
    """Record a logged-out token and publish token.revoked, once: False when it was already
    ended (a second logout)."""
    first = session.execute(
        insert(RevokedToken).values(jti=ended.jti, user_id=ended.user_id,
                                    expires_at=ended.expires_at)
        .on_conflict_do_nothing().returning(RevokedToken.jti)).first()
    if first is not None:
        _emit(session, c.TOKEN_REVOKED, ended)
    return first is not None
