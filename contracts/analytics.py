"""Analytics: read models over every event."""

from __future__ import annotations

from datetime import date
from typing import Self
from uuid import UUID

from pydantic import BaseModel, model_validator

from contracts.common import Model

SERVICE = "analytics"


class FunnelQuery(Model):
    date_from: date | None = None
    date_to: date | None = None
    project_id: UUID | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class FunnelRow(BaseModel):
    metric: str
    label: str
    count: int


class Funnel(BaseModel):
    date_from: date
    date_to: date
    rows: list[FunnelRow]
    by_channel: dict[str, int]
