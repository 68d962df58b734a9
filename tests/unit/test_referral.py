"""Referral rules (老带新): the reward follows the referred customer's stage; no cycles."""

import uuid

import pytest

from contracts.customers import ReferralReward, Stage
from contracts.errors import ValidationFailed
from services.customers.referral import check_referrer, reward


@pytest.mark.parametrize(("stage", "status"), [
    (Stage.new, ReferralReward.none), (Stage.contacted, ReferralReward.none),
    (Stage.invited, ReferralReward.none), (Stage.visited, ReferralReward.pending),
    (Stage.intent, ReferralReward.pending), (Stage.subscribed, ReferralReward.pending),
    (Stage.signed, ReferralReward.earned), (Stage.invalid, ReferralReward.void),
    (Stage.lost, ReferralReward.void),
])
def test_the_reward_follows_the_referred_customers_stage(stage, status):
    assert reward(stage) == status


def test_every_stage_has_a_reward_status():
    assert {reward(stage) for stage in Stage} == set(ReferralReward)


def test_a_customer_cannot_refer_themselves_nor_close_a_cycle():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    check_referrer(a, b, [b])            # b referred nobody known
    check_referrer(a, b, [b, c])         # b was referred by c
    with pytest.raises(ValidationFailed) as itself:
        check_referrer(a, a, [a])
    assert itself.value.field == "referrer_id"
    with pytest.raises(ValidationFailed) as cycle:
        check_referrer(a, b, [b, c, a])  # a referred c referred b: b cannot refer a
    assert cycle.value.field == "referrer_id" and "cycle" in cycle.value.message
