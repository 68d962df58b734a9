"""Directory administration: the inputs and views of projects, teams, users and passwords
(`/api/projects`, `/api/teams`, `/api/users`, `/api/me/password`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from contracts.actor import Role
from contracts.common import Model, Name, Page
from contracts.errors import ValidationFailed

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
District = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=50)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64,
                                            pattern=r"^[a-zA-Z0-9_.@-]+$")]
# Checked against the password policy by the directory (services/directory/password_policy.py);
# here only its bounds, so a huge body never reaches argon2.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Search = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class Scope(StrEnum):
    """Scopes an admin may grant beyond a role's own (`directory:write` comes with admin)."""

    pii_reveal = "pii:reveal"    # reveal phones (audited)
    export = "export"            # audited customer export
    privacy = "privacy"          # data-subject requests (PIPL)


class _Patch(Model):
    """A PATCH body: fields left out stay as they are; `null` only where a field may be
    empty (it is refused elsewhere, naming the field)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; a null where the field may not be empty is
        refused naming it."""
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.NULLABLE:
                raise ValidationFailed(f"{name} may not be null", name)
        return {name: getattr(self, name) for name in self.model_fields_set}


# --- projects ---------------------------------------------------------------------------

class NewProject(Model):
    name: Label
    city: City
    districts: list[District] = Field(default_factory=list, max_length=50)


class ProjectPatch(_Patch):
    name: Label | None = None
    city: City | None = None
    districts: list[District] | None = Field(default=None, max_length=50)
    active: bool | None = None


class ProjectQuery(Page):
    city: City | None = None
    active: bool | None = None
    q: Search | None = None


class ProjectView(BaseModel):
    id: UUID
    name: str
    city: str
    districts: list[str]
    active: bool
    revision: int


# --- teams ------------------------------------------------------------------------------

class NewTeam(Model):
    name: Label
    project_id: UUID
    manager_id: UUID | None = None


class TeamPatch(_Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"manager_id"})

    name: Label | None = None
    project_id: UUID | None = None
    manager_id: UUID | None = None
    active: bool | None = None


class TeamQuery(Page):
    project_id: UUID | None = None
    active: bool | None = None
    q: Search | None = None


class TeamView(BaseModel):
    id: UUID
    name: str
    project_id: UUID | None
    manager_id: UUID | None
    active: bool
    members: int = Field(description="active users in the team")
    revision: int


# --- users ------------------------------------------------------------------------------

class NewUser(Model):
    """A user made by an admin (or a director for their projects). `password` is the initial
    one: the user must change it at first login."""

    username: Username
    name: Name
    role: Role
    password: Password
    team_id: UUID | None = None
    project_ids: list[UUID] = Field(default_factory=list, max_length=50)
    scopes: list[Scope] = Field(default_factory=list, max_length=10)


class UserPatch(_Patch):
    """`active: false` deactivates (admins only; a departure with a handover of customers is
    `POST /api/users/<id>/offboard`)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"team_id"})

    username: Username | None = None
    name: Name | None = None
    role: Role | None = None
    team_id: UUID | None = None
    project_ids: list[UUID] | None = Field(default=None, max_length=50)
    scopes: list[Scope] | None = Field(default=None, max_length=10)
    active: bool | None = None


class UserQuery(Page):
    role: Role | None = None
    team_id: UUID | None = None
    project_id: UUID | None = None
    active: bool | None = None
    q: Search | None = Field(default=None, description="part of the name or username")


class UserView(BaseModel):
    id: UUID
    username: str
    name: str
    role: Role
    team_id: UUID | None
    project_ids: list[UUID] = Field(description="projects given to the user themselves")
    effective_project_ids: list[UUID] = Field(description="theirs plus their team's project")
    scopes: list[str] = Field(description="scopes granted beyond the role's")
    effective_scopes: list[str]
    active: bool
    on_duty: bool
    must_change_password: bool
    password_changed_at: datetime | None
    created_at: datetime
    revision: int


# --- passwords --------------------------------------------------------------------------

class PasswordReset(Model):
    """An admin's (or director's) new initial password for a user: they must change it at
    their next login."""

    password: Password


class PasswordChange(Model):
    old_password: Password
    new_password: Password


class PasswordResetDone(BaseModel):
    user_id: UUID
    must_change_password: bool
