"""Customer rules without I/O: what a viewer sees of a profile."""

from __future__ import annotations

from collections.abc import Callable

from contracts.actor import Actor, Role
from contracts.customers import (
    FUNNEL,
    OFF_RAMPS,
    CustomerView,
    Portrait,
    Stage,
    StageMove,
    TagDimension,
)
from contracts.errors import ValidationFailed
from kit import phones
from services.customers.project_setup import STANDARD, ProjectSetup, score_of


def shows_full_phone(actor: Actor, owner_id) -> bool:
    """Only the owner sees the number in ordinary responses; anyone else reveals it
    explicitly (and is audited)."""
    return owner_id is not None and owner_id == actor.user_id


def may_reveal(actor: Actor, owner_id) -> bool:
    return shows_full_phone(actor, owner_id) or actor.has_scope("pii:reveal")


def view(customer, actor: Actor, open_phone: Callable[[str], str],
         tags: dict[str, list[str]] | None = None,
         setup: ProjectSetup = STANDARD) -> CustomerView:
    """The customer as `actor` may see them, named and scored by the project's setup."""
    full = shows_full_phone(actor, customer.owner_id)
    stage = Stage(customer.stage)
    portrait = dict(getattr(customer, "portrait", None) or {})
    scored = score_of(customer, tags or {}, setup)
    return CustomerView(
        id=customer.id, company_id=customer.company_id, project_id=customer.project_id,
        name=customer.name,
        phone=phones.national(open_phone(customer.phone_enc)) if full else customer.phone_masked,
        phone_masked=not full, owner_id=customer.owner_id, stage=stage,
        stage_label=setup.label(stage), grade=getattr(customer, "grade", None),
        channel=customer.channel,
        sub_source=getattr(customer, "sub_source", None),
        referrer_id=getattr(customer, "referrer_id", None),
        created_at=customer.created_at, updated_at=customer.updated_at,
        version=customer.version, completeness=scored.percent,
        missing_required=list(scored.missing_required), portrait=portrait,
        tags={k: v for k, v in (tags or {}).items() if k}, free_tags=(tags or {}).get("", []))


GRADED_BY_LEAD, GRADED_BY_PERSON = "lead", "person"


def grade_after_lead(current: str | None, set_by: str | None, incoming: str | None
                     ) -> str | None:
    """A customer's grade when another of their leads arrives graded `incoming`: the warmer
    of the two (A is the warmest), unless a person set the grade (theirs stands). None: it
    stays as it is."""
    if incoming is None or set_by == GRADED_BY_PERSON:
        return None
    if current is None or incoming < current:
        return incoming
    return None


def check_funnel(config) -> None:
    stages = list(config.stages)
    if stages[0] != Stage.new or stages[-1] != Stage.signed:
        raise ValidationFailed("a funnel starts at new (新线索) and ends at signed (签约)",
                               "stages")
    if len(set(stages)) != len(stages) or any(s in OFF_RAMPS for s in stages):
        raise ValidationFailed("each funnel stage once; invalid and lost are off-ramps",
                               "stages")
    if [FUNNEL.index(s) for s in stages] != sorted(FUNNEL.index(s) for s in stages):
        raise ValidationFailed("stages keep the standard order", "stages")


def check_move(current: Stage, move: StageMove, setup: ProjectSetup = STANDARD) -> None:
    """Moves along the funnel: forward (skipping is allowed: a walk-in is visited at once),
    never back; invalid/lost from any open stage (signed → lost is a cancelled deal, 退房);
    invalid/lost back to new (reactivation). Signing records the deal; off-ramps a reason."""
    target = move.stage
    if target == Stage.signed and move.deal_amount is None:
        raise ValidationFailed("signing records the deal amount", "deal_amount")
    if target == Stage.signed and not move.unit:
        raise ValidationFailed("signing records the unit (房号)", "unit")
    if target in OFF_RAMPS and not move.reason:
        raise ValidationFailed(f"{setup.label(target)} needs a reason", "reason")
    if current in OFF_RAMPS:
        if target != Stage.new:
            raise ValidationFailed(f"a {setup.label(current)} customer can only be "
                                   f"reactivated to {setup.label(Stage.new)}", "stage")
        return
    if target in OFF_RAMPS:
        if current == Stage.signed and target == Stage.invalid:
            raise ValidationFailed("a signed customer can be lost (退房), not invalid", "stage")
        return
    if target not in setup.stages:
        raise ValidationFailed(f"{setup.label(target)} is not a stage of this project's "
                               "funnel", "stage")
    if FUNNEL.index(target) <= FUNNEL.index(current):
        raise ValidationFailed(f"cannot move back from {setup.label(current)} to "
                               f"{setup.label(target)}", "stage")


def may_work_on(actor: Actor) -> bool:
    """Who may log follow-ups and move stages (within their scope)."""
    return actor.role in (Role.consultant, Role.manager, Role.director, Role.admin)


# Tag dimensions a company starts with until it defines its own.
DEFAULT_DIMENSIONS = (
    TagDimension(code="focus", name="关注点",
                 values=["学区", "地铁", "商圈", "景观", "车位", "物业", "医疗", "升值"]),
    TagDimension(code="family", name="家庭结构",
                 values=["单身", "二人世界", "三口之家", "二孩家庭", "三代同堂"], multi=False),
    TagDimension(code="eligibility", name="购房资格", values=["有资格", "需社保", "无资格"],
                 multi=False),
    TagDimension(code="payment", name="付款方式", values=["全款", "商贷", "公积金", "组合贷"],
                 multi=False),
)

# The portrait a consultant edits (PATCH).
PORTRAIT_KEYS = ("gender", "age_band", "budget_min", "budget_max", "area_min", "area_max",
                 "layouts", "districts", "purpose")


def check_tags(tags: dict[str, list[str]], dimensions: dict[str, TagDimension]) -> None:
    for code, values in tags.items():
        dimension = dimensions.get(code)
        if dimension is None:
            raise ValidationFailed(f"no tag dimension {code!r}", f"tags.{code}")
        unknown = [v for v in values if v not in dimension.values]
        if unknown:
            raise ValidationFailed(f"{dimension.name} has no value {unknown[0]!r}",
                                   f"tags.{code}")
        if not dimension.multi and len(values) > 1:
            raise ValidationFailed(f"{dimension.name} takes one value", f"tags.{code}")


def portrait_from_lead(said) -> dict:
    """A new customer's profile from what their lead said (contracts.leads.LeadPortrait)."""
    if said is None:
        return {}
    portrait = {k: getattr(said, k) for k in ("budget_min", "budget_max", "area_min",
                                               "area_max") if getattr(said, k) is not None}
    if said.layout:
        portrait["layouts"] = [said.layout]
    if said.district:
        portrait["districts"] = [said.district]
    if said.purpose:
        portrait["purpose"] = said.purpose.value
    return portrait


def merged_portrait(current: dict, patch: Portrait) -> tuple[dict, dict]:
    """The profile after the patch, and what changed ({field: [old, new]})."""
    given = patch.model_dump(mode="json", include=set(PORTRAIT_KEYS), exclude_unset=True)
    after = {**current, **given}
    for low, high in (("budget_min", "budget_max"), ("area_min", "area_max")):
        if after.get(low) is not None and after.get(high) is not None \
                and after[high] < after[low]:
            raise ValidationFailed(f"{high} must not be below {low}", high)
    changes = {k: [current.get(k), v] for k, v in given.items() if current.get(k) != v}
    return after, changes
