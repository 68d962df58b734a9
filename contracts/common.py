"""Small types shared by several contracts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class Model(BaseModel):
    """Strict about unknown fields, so a typo in a client is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(Model):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=200)


class EncryptedPhone(BaseModel):
    """How a phone number crosses the bus: never in plain text."""

    enc: str
    index: str
    masked: str
