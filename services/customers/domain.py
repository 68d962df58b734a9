"""Customer rules without I/O: what a viewer sees of a profile."""

from __future__ import annotations

from collections.abc import Callable

from contracts.actor import Actor
from contracts.customers import STAGE_LABELS, CustomerView, Stage
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
