"""Directory: companies, projects, teams, users, duty status, credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.actor import Role
from contracts.common import Model

SERVICE = "directory"

PROJECT_UPSERTED = "project.upserted"
TEAM_UPSERTED = "team.upserted"
USER_UPSERTED = "user.upserted"
TOKEN_REVOKED = "token.revoked"      # logout: that one token ends everywhere


class Credentials(Model):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResult(BaseModel):
    """A login's answer. With `must_change_password` the token is good for one thing only,
    `POST /api/me/password` (short-lived); every other route answers 403 naming `password`."""

    token: str
    expires_at: str
    actor: dict[str, Any]
    must_change_password: bool = False


class ProjectFact(BaseModel):
    """Payload of project.upserted."""

    id: UUID
    company_id: UUID
    name: str
    city: str
    revision: int
    # Added with directory administration; events from before parse with the defaults.
    districts: list[str] = Field(default_factory=list)
    active: bool = True


class TeamFact(BaseModel):
    """Payload of team.upserted."""

    id: UUID
    company_id: UUID
    project_id: UUID | None
    name: str
    manager_id: UUID | None
    revision: int
    active: bool = True


class UserFact(BaseModel):
    """Payload of user.upserted: everything other services keep in their read copies, and
    what they authorise from (a token only says who is calling).

    `project_ids` are the user's effective projects (their own plus their team's project);
    `scopes` their effective scopes (the role's and any granted, e.g. `pii:reveal`)."""

    id: UUID
    company_id: UUID
    name: str
    role: Role
    team_id: UUID | None
    project_ids: list[UUID]
    active: bool
    on_duty: bool
    revision: int
    username: str = ""
    scopes: list[str] = Field(default_factory=list)


class TokenRevoked(BaseModel):
    """Payload of token.revoked: a token (by its `jti`) that no service may accept again."""

    jti: str
    user_id: UUID
    company_id: UUID
    expires_at: datetime


class DutyChange(Model):
    on_duty: bool
