"""Customer rules without I/O: what a viewer sees of a profile."""

from __future__ import annotations

from collections.abc import Callable

from contracts.actor import Actor, Role
from contracts.customers import FUNNEL, OFF_RAMPS, STAGE_LABELS, CustomerView, Stage, StageMove
from contracts.errors import ValidationFailed
from kit import phones


def shows_full_phone(actor: Actor, owner_id) -> bool:
    """Only the owner sees the number in ordinary responses; anyone else reveals it
    explicitly (and is audited)."""
    return owner_id is not None and owner_id == actor.user_id


def may_reveal(actor: Actor, owner_id) -> bool:
    return shows_full_phone(actor, owner_id) or actor.has_scope("pii:reveal")


def view(customer, actor: Actor, open_phone: Callable[[str], str]) -> CustomerView:
    full = shows_full_phone(actor, customer.owner_id)
    stage = Stage(customer.stage)
    return CustomerView(
        id=customer.id, company_id=customer.company_id, project_id=customer.project_id,
        name=customer.name,
        phone=phones.national(open_phone(customer.phone_enc)) if full else customer.phone_masked,
        phone_masked=not full, owner_id=customer.owner_id, stage=stage,
        stage_label=STAGE_LABELS[stage], channel=customer.channel,
        created_at=customer.created_at, updated_at=customer.updated_at)


def check_move(current: Stage, move: StageMove) -> None:
    """Moves along the funnel: forward (skipping is allowed: a walk-in is visited at once),
    never back; invalid/lost from any open stage (signed → lost is a cancelled deal, 退房);
    invalid/lost back to new (reactivation). Signing records the deal; off-ramps a reason."""
    target = move.stage
    if target == Stage.signed and move.deal_amount is None:
        raise ValidationFailed("signing records the deal amount", "deal_amount")
    if target == Stage.signed and not move.unit:
        raise ValidationFailed("signing records the unit (房号)", "unit")
    if target in OFF_RAMPS and not move.reason:
        raise ValidationFailed(f"{STAGE_LABELS[target]} needs a reason", "reason")
    if current in OFF_RAMPS:
        if target != Stage.new:
            raise ValidationFailed(f"a {STAGE_LABELS[current]} customer can only be reactivated"
                                   " to 新线索", "stage")
        return
    if target in OFF_RAMPS:
        if current == Stage.signed and target == Stage.invalid:
            raise ValidationFailed("a signed customer can be lost (退房), not invalid", "stage")
        return
    if FUNNEL.index(target) <= FUNNEL.index(current):
        raise ValidationFailed(f"cannot move back from {STAGE_LABELS[current]} to "
                               f"{STAGE_LABELS[target]}", "stage")


def may_work_on(actor: Actor) -> bool:
    """Who may log follow-ups and move stages (within their scope)."""
    return actor.role in (Role.consultant, Role.manager, Role.director, Role.admin)
