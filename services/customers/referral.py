"""Referral rules (老带新). Pure: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from contracts.customers import ReferralReward, Stage
from contracts.errors import ValidationFailed

_VISITED = (Stage.visited, Stage.intent, Stage.subscribed)


def reward(stage: Stage) -> ReferralReward:
    """Where the referrer's reward stands, from the referred customer's stage alone: nothing
    before the visit (首次接访), pending from the visit, earned at signing (签约), void when
    the customer turns out invalid or is lost (a cancelled deal, 退房, voids an earned reward;
    a reactivated customer starts again at none)."""
    stage = Stage(stage)
    if stage == Stage.signed:
        return ReferralReward.earned
    if stage in (Stage.invalid, Stage.lost):
        return ReferralReward.void
    if stage in _VISITED:
        return ReferralReward.pending
    return ReferralReward.none   # new, contacted, invited


def check_referrer(customer_id: uuid.UUID, referrer_id: uuid.UUID,
                   referrers_chain: Iterable[uuid.UUID]) -> None:
    """The referrer is another customer, and the customer is not already among the referrer's
    own referrers (A referred B referred A): `referrers_chain` is the referrer followed by
    whoever referred it, and so on."""
    if referrer_id == customer_id:
        raise ValidationFailed("a customer cannot refer themselves", "referrer_id")
    if customer_id in set(referrers_chain):
        raise ValidationFailed("this would make a referral cycle: the customer is among the "
                               "referrer's own referrers", "referrer_id")
