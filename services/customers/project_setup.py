"""A project's own setup of the customer profile, without I/O: its funnel (which standard
stages, and what it calls them) and its profile fields (required and optional), from which
each customer's completeness (客户信息完善率) is scored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.customers import (
    DEFAULT_OPTIONAL,
    DEFAULT_REQUIRED,
    FUNNEL,
    OFF_RAMPS,
    STAGE_LABELS,
    FunnelConfig,
    ProfileFields,
    Stage,
)
from contracts.errors import ValidationFailed

REQUIRED_WEIGHT, OPTIONAL_WEIGHT = 2, 1


@dataclass(frozen=True)
class ProjectSetup:
    """What a project configured; a project that configured nothing gets the standard."""

    stages: tuple[Stage, ...] = FUNNEL
    labels: Mapping[Stage, str] = field(default_factory=dict)   # the project's own names
    required: tuple[str, ...] = DEFAULT_REQUIRED
    optional: tuple[str, ...] = DEFAULT_OPTIONAL

    def label(self, stage: Stage) -> str:
        return self.labels.get(stage) or STAGE_LABELS[stage]

    def all_labels(self) -> dict[str, str]:
        """Every stage a customer of the project can be in (its funnel and the off-ramps)."""
        return {s.value: self.label(s) for s in (*self.stages, *OFF_RAMPS)}


STANDARD = ProjectSetup()


def setup_from(stages: list[str] | None, labels: dict | None, required: list[str] | None,
               optional: list[str] | None) -> ProjectSetup:
    """The setup from stored rows (None where the project configured nothing)."""
    return ProjectSetup(
        stages=tuple(Stage(s) for s in stages) if stages else FUNNEL,
        labels={Stage(k): v for k, v in (labels or {}).items()},
        required=tuple(required) if required is not None else DEFAULT_REQUIRED,
        optional=tuple(optional) if optional is not None else DEFAULT_OPTIONAL)


def check_labels(config: FunnelConfig) -> None:
    """Labels only for stages the project uses (or the off-ramps), and none twice: a
    consultant picking 网签 must know which stage it is."""
    usable = {*config.stages, *OFF_RAMPS}
    for stage in config.labels:
        if stage not in usable:
            raise ValidationFailed(f"{stage.value} is not a stage of this funnel",
                                   f"labels.{stage.value}")
    seen: dict[str, Stage] = {}
    for stage in (*config.stages, *OFF_RAMPS):
        name = config.labels.get(stage) or STAGE_LABELS[stage]
        if name in seen:
            renamed = stage if stage in config.labels else seen[name]
            raise ValidationFailed(f"{name} names both {seen[name].value} and {stage.value}",
                                   f"labels.{renamed.value}")
        seen[name] = stage


def check_profile_fields(fields: ProfileFields, dimension_codes: set[str]) -> None:
    for side in ("required", "optional"):
        chosen = getattr(fields, side)
        if len(set(chosen)) != len(chosen):
            raise ValidationFailed("each field once", side)
        for name in chosen:
            if name.startswith("tag:") and name[4:] not in dimension_codes:
                raise ValidationFailed(f"the company has no tag dimension {name[4:]!r}", side)
    both = set(fields.required) & set(fields.optional)
    if both:
        raise ValidationFailed(f"{sorted(both)[0]} is both required and optional", "optional")
    if not fields.required and not fields.optional:
        raise ValidationFailed("name at least one field", "required")


def filled_fields(portrait: Mapping, *, has_name: bool, has_phone: bool, has_wechat: bool,
                  tags: Mapping[str, list[str]]) -> frozenset[str]:
    """Which profile fields hold something (tags: dimension code → values; '' = free)."""
    filled = {name for name, present in {
        "name": has_name, "phone": has_phone, "wechat": has_wechat,
        "gender": portrait.get("gender") not in (None, "unknown"),
        "age_band": bool(portrait.get("age_band")),
        "budget": portrait.get("budget_min") is not None
        or portrait.get("budget_max") is not None,
        "area": portrait.get("area_min") is not None or portrait.get("area_max") is not None,
        "layouts": bool(portrait.get("layouts")), "districts": bool(portrait.get("districts")),
        "purpose": bool(portrait.get("purpose")),
        "tags": any(values for code, values in tags.items() if code),
        "free_tags": bool(tags.get("")),
    }.items() if present}
    filled |= {f"tag:{code}" for code, values in tags.items() if code and values}
    return frozenset(filled)


@dataclass(frozen=True)
class Score:
    percent: int
    missing_required: tuple[str, ...]


def score(filled: frozenset[str], setup: ProjectSetup) -> Score:
    total = REQUIRED_WEIGHT * len(setup.required) + OPTIONAL_WEIGHT * len(setup.optional)
    earned = (REQUIRED_WEIGHT * sum(f in filled for f in setup.required)
              + OPTIONAL_WEIGHT * sum(f in filled for f in setup.optional))
    return Score(round(100 * earned / total) if total else 100,
                 tuple(f for f in setup.required if f not in filled))


def score_of(customer, tags: Mapping[str, list[str]], setup: ProjectSetup) -> Score:
    """A customer record's completeness under `setup` (tags: dimension code → values)."""
    return score(filled_fields(
        getattr(customer, "portrait", None) or {}, has_name=bool(customer.name), has_phone=True,
        has_wechat=getattr(customer, "wechat_enc", None) is not None, tags=tags), setup)
