"""Handing customers over: a departure (离职交接) and a manager's bulk reassignment.

The directory records a departure and deactivates the leaver in one step, then announces
`user.offboarded` with the plan; the leads service (which decides ownership) moves every
customer of the leaver in bounded batches and reports `handover.progress` back, which the
directory shows on `GET /api/users/<id>/offboard`. A bulk reassignment (`POST
/api/customers/reassign`) is the same job without a departure, kept by the leads service."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.common import Model

USER_OFFBOARDED = "user.offboarded"        # directory: the leaver is out, here is the plan
HANDOVER_PROGRESS = "handover.progress"    # leads: moved / total per project, done or not
CUSTOMERS_HANDED_OVER = "customers.handed_over"   # leads: one batch of a handover's moves

HANDOVER_REASON = "离职交接"
REASSIGN_REASON = "批量转移"

# A bulk reassignment names at most this many customers (ids or the filter's matches).
MAX_REASSIGN = 20_000


class HandoverMode(StrEnum):
    colleague = "colleague"        # every customer to one named colleague
    round_robin = "round_robin"    # spread over the team's active consultants of the project
    pool = "pool"                  # released to the project's pool (公海)


def _colleague_named(mode: HandoverMode | None, to_user_id: UUID | None) -> UUID | None:
    if mode == HandoverMode.colleague and to_user_id is None:
        raise ValueError("required when mode is colleague")
    if mode not in (None, HandoverMode.colleague) and to_user_id is not None:
        raise ValueError("goes only with mode colleague")
    return to_user_id


class HandoverRule(Model):
    mode: HandoverMode
    # Checked against `mode`, so a refusal names `to_user_id` (or projects.<id>.to_user_id).
    to_user_id: UUID | None = Field(default=None, validate_default=True)

    @field_validator("to_user_id")
    @classmethod
    def _named_with_colleague(cls, value: UUID | None, info: ValidationInfo) -> UUID | None:
        return _colleague_named(info.data.get("mode"), value)


class HandoverPlan(Model):
    """The default rule, and optionally another rule per project (by project id)."""

    mode: HandoverMode
    to_user_id: UUID | None = Field(default=None, validate_default=True)
    projects: dict[UUID, HandoverRule] = Field(default_factory=dict, max_length=100)

    @field_validator("to_user_id")
    @classmethod
    def _named_with_colleague(cls, value: UUID | None, info: ValidationInfo) -> UUID | None:
        return _colleague_named(info.data.get("mode"), value)

    def rule_for(self, project_id: UUID | None) -> HandoverRule:
        if project_id is not None and project_id in self.projects:
            return self.projects[project_id]
        return HandoverRule(mode=self.mode, to_user_id=self.to_user_id)

    def rules(self) -> list[tuple[str, UUID | None, HandoverRule]]:
        """Every rule with the field that names it: (field prefix, project, rule)."""
        return [("", None, HandoverRule(mode=self.mode, to_user_id=self.to_user_id)),
                *((f"projects.{p}.", p, r) for p, r in self.projects.items())]

    def canonical(self) -> dict[str, Any]:
        """The plan as stored and compared (a retry with the same plan is the same call)."""
        data = self.model_dump(mode="json")
        data["projects"] = dict(sorted(data["projects"].items()))
        return data


class UserOffboarded(BaseModel):
    """Payload of user.offboarded."""

    offboarding_id: UUID
    company_id: UUID
    user_id: UUID
    team_id: UUID | None
    plan: HandoverPlan
    by: UUID
    at: datetime


class ProjectProgress(BaseModel):
    """One project of a handover: how many of its customers moved, and where they went."""

    project_id: UUID | None
    mode: HandoverMode
    moved: int
    total: int
    skipped: int = 0          # no longer the leaver's (or the selection's owner's) when moved
    to_pool: int = 0
    replanned: int = 0        # the planned colleague was no longer eligible: why is recorded
    owners: dict[UUID, int] = Field(default_factory=dict)   # new owner → customers moved


class Move(BaseModel):
    """One customer of a batch: to `owner_id`, or into the project's pool when it is None."""

    customer_id: UUID
    project_id: UUID | None
    owner_id: UUID | None
    previous_owner_id: UUID
    owner_revision: int


class HandedOver(BaseModel):
    """Payload of customers.handed_over: the customers one batch of a handover moved (up to a
    few hundred), all for the same reason. One fact per batch rather than per customer: a
    departure moves thousands at once, and what follows (profiles, history, tasks) is then
    applied batch by batch too. Each move carries the customer's owner revision, so copies
    apply it in order with the customer's other ownership changes (customer.claimed /
    customer.released)."""

    handover_id: UUID
    company_id: UUID
    action: Literal["handover", "reassign"]   # a departure (离职交接) / a bulk move (批量转移)
    reason: str
    by: UUID
    at: datetime
    moves: list[Move]


class HandoverProgress(BaseModel):
    """Payload of handover.progress (after every batch, and once more when done)."""

    handover_id: UUID
    company_id: UUID
    user_id: UUID | None        # the leaver, for a departure; None for a bulk reassignment
    moved: int
    total: int
    done: bool
    projects: list[ProjectProgress]
    at: datetime
    skipped: int = 0


class ReassignFilter(Model):
    """Which customers, as the leads service knows them (owned ones only)."""

    owner_id: UUID | None = None
    project_id: UUID | None = None

    @model_validator(mode="after")
    def _something(self) -> ReassignFilter:
        if self.owner_id is None and self.project_id is None:
            raise ValueError("name owner_id, project_id or both")
        return self


# Why a bulk reassignment moves the customers (kept with each move; 批量转移 when not said).
ReassignReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                  max_length=50)]


class ReassignRequest(HandoverPlan):
    """A bulk reassignment (批量转移): customers by id or by a filter, the plan, and
    optionally why (shown in each customer's history)."""

    customer_ids: list[UUID] | None = Field(default=None, min_length=1,
                                            max_length=MAX_REASSIGN)
    # Checked against customer_ids, so a refusal names `filter`.
    filter: ReassignFilter | None = Field(default=None, validate_default=True)
    reason: ReassignReason | None = None

    @field_validator("filter")
    @classmethod
    def _one_selection(cls, value: ReassignFilter | None,
                       info: ValidationInfo) -> ReassignFilter | None:
        if "customer_ids" in info.data and (info.data["customer_ids"] is None) == (
                value is None):
            raise ValueError("send either customer_ids or filter")
        return value

    def plan(self) -> HandoverPlan:
        return HandoverPlan(mode=self.mode, to_user_id=self.to_user_id, projects=self.projects)


class HandoverStatus(BaseModel):
    """A departure's or a bulk reassignment's plan and progress, as the API shows it."""

    id: UUID
    kind: str                        # departure | reassign
    user_id: UUID | None             # the leaver (departure)
    plan: HandoverPlan
    requested_by: UUID
    requested_at: datetime
    moved: int
    total: int | None                # None until the leads service planned it
    skipped: int
    done: bool
    projects: list[ProjectProgress]
    progress_at: datetime | None
    finished_at: datetime | None
