"""Directory: companies, projects, teams, users, duty status, credentials."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from contracts.actor import Role
from contracts.common import Model, Name

SERVICE = "directory"

PROJECT_UPSERTED = "project.upserted"
TEAM_UPSERTED = "team.upserted"
USER_UPSERTED = "user.upserted"


class Credentials(Model):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResult(BaseModel):
    token: str
    expires_at: str
    actor: dict


class ProjectFact(BaseModel):
    """Payload of project.upserted."""

    id: UUID
    company_id: UUID
    name: str
    city: str
    revision: int


class TeamFact(BaseModel):
    """Payload of team.upserted."""

    id: UUID
    company_id: UUID
    project_id: UUID | None
    name: str
    manager_id: UUID | None
    revision: int


class UserFact(BaseModel):
    """Payload of user.upserted: everything other services keep in their read copies."""

    id: UUID
    company_id: UUID
    name: str
    role: Role
    team_id: UUID | None
    project_ids: list[UUID]
    active: bool
    on_duty: bool
    revision: int


class DutyChange(Model):
    on_duty: bool


class NewUser(Model):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-zA-Z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=256)
    name: Name
    role: Role
    team_id: UUID | None = None
    project_ids: list[UUID] = Field(default_factory=list)
