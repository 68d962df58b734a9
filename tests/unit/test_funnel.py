import pytest

from contracts.customers import Stage, StageMove
from contracts.errors import ValidationFailed
from services.customers.domain import check_move
from services.customers.project_setup import ProjectSetup


def move(stage, **extra):
    return StageMove(stage=stage, **extra)


def test_forward_moves_may_skip_steps():
    check_move(Stage.new, move(Stage.contacted))
    check_move(Stage.new, move(Stage.visited))  # a walk-in is visited at once


@pytest.mark.parametrize(("current", "target"), [
    (Stage.visited, Stage.contacted), (Stage.signed, Stage.subscribed), (Stage.intent,
                                                                         Stage.new)])
def test_the_funnel_never_goes_back(current, target):
    with pytest.raises(ValidationFailed) as refused:
        check_move(current, move(target))
    assert refused.value.field == "stage"


def test_signing_records_amount_and_unit_naming_what_is_missing():
    with pytest.raises(ValidationFailed) as no_amount:
        check_move(Stage.subscribed, move(Stage.signed, unit="3-1-1201"))
    assert no_amount.value.field == "deal_amount"
    with pytest.raises(ValidationFailed) as no_unit:
        check_move(Stage.subscribed, move(Stage.signed, deal_amount=3_200_000))
    assert no_unit.value.field == "unit"
    check_move(Stage.subscribed, move(Stage.signed, deal_amount=3_200_000, unit="3-1-1201"))


def test_off_ramps_need_a_reason_and_lead_back_only_to_new():
    with pytest.raises(ValidationFailed) as no_reason:
        check_move(Stage.contacted, move(Stage.lost))
    assert no_reason.value.field == "reason"
    check_move(Stage.contacted, move(Stage.lost, reason="已在别处购房"))
    check_move(Stage.lost, move(Stage.new))
    with pytest.raises(ValidationFailed):
        check_move(Stage.invalid, move(Stage.intent))


def test_a_signed_deal_can_be_lost_but_not_declared_invalid():
    check_move(Stage.signed, move(Stage.lost, reason="退房"))
    with pytest.raises(ValidationFailed):
        check_move(Stage.signed, move(Stage.invalid, reason="错号"))


def test_a_project_without_subscription_skips_it():
    funnel = ProjectSetup(stages=(Stage.new, Stage.contacted, Stage.invited, Stage.visited,
                                  Stage.intent, Stage.signed))
    with pytest.raises(ValidationFailed, match="not a stage of this project's funnel"):
        check_move(Stage.intent, move(Stage.subscribed), funnel)
    check_move(Stage.intent, move(Stage.signed, deal_amount=1, unit="1-101"), funnel)


def test_refusals_speak_the_projects_own_stage_names():
    renamed = ProjectSetup(labels={Stage.signed: "网签", Stage.intent: "意向客户"})
    with pytest.raises(ValidationFailed, match="cannot move back from 网签 to 意向客户"):
        check_move(Stage.signed, move(Stage.intent), renamed)


@pytest.mark.parametrize("stages", [
    ["contacted", "signed"], ["new", "intent"], ["new", "lost", "signed"],
    ["new", "visited", "contacted", "signed"], ["new", "new", "signed"]])
def test_a_funnel_starts_new_ends_signed_in_the_standard_order(stages):
    from contracts.customers import FunnelConfig
    from services.customers.domain import check_funnel

    with pytest.raises(ValidationFailed) as bad:
        check_funnel(FunnelConfig(stages=stages))
    assert bad.value.field == "stages"
