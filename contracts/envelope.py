"""The envelope every event travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    type: str
    version: int = 1
    occurred_at: datetime
    producer: str
    correlation_id: str | None = None
    payload: dict[str, Any]
