"""Writes to the directory, each recording its fact in the outbox in the same transaction.
Used by the service's RPCs and by `keyuan demo-data` / `keyuan user`."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from contracts import directory as c
from kit import outbox
from services.directory import domain
from services.directory.store import Company, Outbox, Project, Team, User


def _emit(session: Session, event_type: str, payload) -> None:
    outbox.record(session, Outbox, c.SERVICE, event_type, payload)


def upsert_company(session: Session, company_id: uuid.UUID, name: str) -> Company:
    company = session.get(Company, company_id) or Company(id=company_id)
    company.name = name
    session.add(company)
    session.flush()
    return company


def upsert_project(session: Session, project_id: uuid.UUID, company_id: uuid.UUID, name: str,
                   city: str) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        project = Project(id=project_id, company_id=company_id, revision=0)
    project.name, project.city = name, city
    project.revision += 1
    session.add(project)
    session.flush()
    _emit(session, c.PROJECT_UPSERTED, domain.project_fact(project))
    return project


def upsert_team(session: Session, team_id: uuid.UUID, company_id: uuid.UUID, name: str,
                project_id: uuid.UUID | None, manager_id: uuid.UUID | None = None) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        team = Team(id=team_id, company_id=company_id, revision=0)
    team.name, team.project_id, team.manager_id = name, project_id, manager_id
    team.revision += 1
    session.add(team)
    session.flush()
    _emit(session, c.TEAM_UPSERTED, domain.team_fact(team))
    return team


def upsert_user(session: Session, user_id: uuid.UUID, company_id: uuid.UUID, username: str,
                password: str | None, name: str, role: str, team_id: uuid.UUID | None,
                project_ids: list[uuid.UUID], active: bool = True) -> User:
    user = session.get(User, user_id)
    if user is None:
        user = User(id=user_id, company_id=company_id, revision=0, on_duty=True)
    user.username, user.name, user.role = username, name, role
    user.team_id, user.project_ids, user.active = team_id, list(project_ids), active
    if password is not None:
        user.password_hash = domain.hash_password(password)
    user.revision += 1
    session.add(user)
    session.flush()
    _emit(session, c.USER_UPSERTED, domain.user_fact(user))
    return user


def set_duty(session: Session, user: User, on_duty: bool) -> User:
    if user.on_duty != on_duty:
        user.on_duty = on_duty
        user.revision += 1
        session.flush()
        _emit(session, c.USER_UPSERTED, domain.user_fact(user))
    return user
