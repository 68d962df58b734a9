"""The Actor: who is asking. Its claims are the JWT the gateway (or an integration) holds."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    consultant = "consultant"
    manager = "manager"
    director = "director"
    admin = "admin"
    service_agent = "service_agent"
    channel_agent = "channel_agent"
    homeowner = "homeowner"
    integration = "integration"


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: UUID
    company_id: UUID
    role: Role
    name: str = ""
    team_id: UUID | None = None
    project_ids: tuple[UUID, ...] = ()
    scopes: tuple[str, ...] = ()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
