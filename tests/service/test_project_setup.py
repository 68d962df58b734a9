"""A project's own setup of the customer profile: stage names, required and optional fields,
completeness as the project counts it, and the ranking managers read."""

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, ValidationFailed
from contracts.leads import LEAD_CREATED, LeadCreated, LeadPortrait
from kit import clock
from kit.crypto import Vault
from tests.service.conftest import (
    add_customer,
    add_users,
    call,
    count,
    envelope,
    unique_phone,
    wait_for,
)

FILLED = {"gender": "female", "budget_min": 2_500_000, "layouts": ["三室"],
          "purpose": "self_use", "tags": {"focus": ["学区"]}}


def fill(container, world, who: str, customer: str, **fields) -> dict:
    version = call(container, "get", world.token(who), customer)["version"]
    return call(container, "update", world.token(who), customer, {"version": version, **fields})


def test_a_project_names_its_stages_and_every_view_speaks_them(customer_desk, world):
    container, customer = customer_desk
    add_users(container, world.user("boss", Role.director))
    renamed = call(container, "update_funnel", world.token("boss"), str(world.project), {
        "stages": ["new", "contacted", "visited", "intent", "subscribed", "signed"],
        "labels": {"signed": "网签", "subscribed": "认购", "lost": "战败"}})
    assert renamed["labels"]["signed"] == "网签" and renamed["labels"]["new"] == "新线索"
    assert renamed["labels"]["lost"] == "战败" and "invited" not in renamed["labels"]
    assert call(container, "get_funnel", world.token("a"), str(world.project))["renamed"] == {
        "signed": "网签", "subscribed": "认购", "lost": "战败"}

    moved = call(container, "change_stage", world.token("a"), customer,
                 {"stage": "signed", "deal_amount": 2_980_000, "unit": "2-1-801"})
    assert moved["stage"] == "signed" and moved["stage_label"] == "网签"
    assert call(container, "get", world.token("mgr"), customer)["stage_label"] == "网签"
    [change] = call(container, "stage_history", world.token("a"), customer)["items"]
    assert (change["from_label"], change["to_label"]) == ("新线索", "网签")
    with pytest.raises(ValidationFailed, match="cannot move back from 网签"):
        call(container, "change_stage", world.token("a"), customer, {"stage": "intent"})


def test_stage_names_must_tell_stages_apart(customer_desk, world):
    container, _ = customer_desk
    add_users(container, world.user("boss", Role.director))
    stages = ["new", "contacted", "visited", "signed"]
    cases = [({"visited": "签约"}, "labels.visited"),   # the name of another stage
             ({"intent": "意向"}, "labels.intent"),                       # not in this funnel
             ({"signed": ""}, "labels.signed"),
             ({"signed": "一个非常非常长的阶段名称超过限制"}, "labels.signed"),
             ({"won": "成交"}, "labels.won")]                          # no such stage
    for labels, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            call(container, "update_funnel", world.token("boss"), str(world.project),
                 {"stages": stages, "labels": labels})
        assert refused.value.field == field, labels
    # Nothing of the refused setups was kept.
    assert call(container, "get_funnel", world.token("a"), str(world.project))["renamed"] == {}


def test_completeness_counts_what_the_project_requires(customer_desk, world, infra, engine):
    container, customer = customer_desk
    add_users(container, world.user("boss", Role.director))
    fresh = call(container, "get", world.token("a"), customer)
    # The standard setup: budget, layouts and purpose are required; name and phone are there.
    assert fresh["missing_required"] == ["budget", "layouts", "purpose"]
    assert 0 < fresh["completeness"] < 50
    assert count(engine, "SELECT completeness FROM customers.customers WHERE id = :c",
                 c=customer) == fresh["completeness"]
    assert fill(container, world, "a", customer, budget_min=3_000_000)["missing_required"] \
        == ["layouts", "purpose"]
    other = add_customer(container, infra, world, "a", "+86" + unique_phone())
    fill(container, world, "a", other, **FILLED)

    fields = {"required": ["budget", "tag:focus", "wechat"], "optional": ["gender", "area"]}
    with pytest.raises(Forbidden):
        call(container, "update_profile_fields", world.token("mgr"), str(world.project), fields)
    saved = call(container, "update_profile_fields", world.token("boss"), str(world.project),
                 fields)
    assert saved["required"] == fields["required"] and saved["standard"] is False

    # Shown at once, as the project now counts it: 2 (budget) of 2*3 + 2 = 8, and
    # 2 + 2 (focus) + 1 (gender) of 8 for the other one.
    now = call(container, "get", world.token("a"), customer)
    assert now["missing_required"] == ["tag:focus", "wechat"] and now["completeness"] == 25
    assert call(container, "get", world.token("a"), other)["completeness"] == 62
    # Stored (the ranking sorts by it) once the background recount has passed.
    wait_for(lambda: count(engine, "SELECT completeness FROM customers.customers "
                           "WHERE id = :c", c=customer) == 25)
    wait_for(lambda: not call(container, "get_profile_fields", world.token("a"),
                              str(world.project))["recount_pending"])
    assert count(engine, "SELECT completeness FROM customers.customers WHERE id = :c",
                 c=other) == 62


def test_profile_field_refusals_name_the_field(customer_desk, world):
    container, _ = customer_desk
    add_users(container, world.user("boss", Role.director))
    cases = [({"required": ["budget"], "optional": ["budget"]}, "optional"),
             ({"required": ["tag:no_such_dimension"], "optional": []}, "required"),
             ({"required": ["salary"], "optional": []}, "required.0"),
             ({"required": ["budget", "budget"], "optional": []}, "required"),
             ({"required": [], "optional": []}, "required")]
    for body, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            call(container, "update_profile_fields", world.token("boss"), str(world.project),
                 body)
        assert refused.value.field == field, body
    assert call(container, "get_profile_fields", world.token("a"),
                str(world.project))["standard"] is True
    with pytest.raises(NotFound):
        call(container, "get_profile_fields", world.token("a"), str(world.other_project))


def test_managers_rank_their_consultants_by_completeness(customer_desk, world, infra):
    container, weak = customer_desk   # its customer, owned by a, is left empty
    strong = add_customer(container, infra, world, "b", "+86" + unique_phone())
    fill(container, world, "b", strong, **FILLED)
    ranking = call(container, "completeness_ranking", world.token("mgr"), {})["items"]
    assert [r["owner_id"] for r in ranking] == [world.users["b"]["id"], world.users["a"]["id"]]
    best, worst = ranking
    assert best["rank"] == 1 and best["customers"] == 1 and best["weak_profiles"] == 0
    assert worst["weak_profiles"] == 1 and worst["average_completeness"] < 50
    # A consultant sees their own line only.
    [own] = call(container, "completeness_ranking", world.token("a"), {})["items"]
    assert own["owner_id"] == world.users["a"]["id"] and own["customers"] == 1
    with pytest.raises(ValidationFailed) as refused:
        call(container, "completeness_ranking", world.token("mgr"), {"project_id": "x"})
    assert refused.value.field == "project_id"
    # The profiles to complete, least complete first.
    to_fill = call(container, "list", world.token("mgr"), {"completeness_below": 60})
    assert [c["id"] for c in to_fill["items"]] == [weak]
    with pytest.raises(ValidationFailed) as bad:
        call(container, "list", world.token("mgr"), {"completeness_below": 0})
    assert bad.value.field == "completeness_below"


def test_a_new_customer_starts_with_what_their_lead_said(customer_desk, world, infra):
    container, old_owner = customer_desk    # an owner (业主) who brought a friend: 老带新
    lead = LeadCreated(
        lead_id=uuid.uuid4(), customer_id=uuid.uuid4(), company_id=world.company,
        project_id=world.project, channel="douyin", sub_source="直播间", name="刘女士",
        phone=Vault.from_settings(infra).seal_phone("+86" + unique_phone()), duplicate=False,
        owner_id=world.users["a"]["id"], created_at=clock.now(),
        referrer_customer_id=uuid.UUID(old_owner),
        portrait=LeadPortrait(budget_min=2_000_000, budget_max=3_000_000, layout="三室两厅",
                              district="滨江", purpose="school_district"))
    with entrypoint_hook(container, "on_lead_created") as handle:
        handle(envelope("leads", LEAD_CREATED, lead.model_dump(mode="json")))
    shown = call(container, "get", world.token("a"), str(lead.customer_id))
    assert shown["portrait"] == {"budget_min": 2_000_000, "budget_max": 3_000_000,
                                 "layouts": ["三室两厅"], "districts": ["滨江"],
                                 "purpose": "school_district"}
    assert shown["missing_required"] == []   # budget, layouts and purpose: all said
    assert (shown["channel"], shown["sub_source"]) == ("douyin", "直播间")
    assert shown["referrer_id"] == old_owner
    [referred] = call(container, "referrals", world.token("a"), old_owner)["items"]
    assert referred["customer_id"] == str(lead.customer_id)
    assert referred["referral_reward"] == "none"    # earned from 首次接访 on


def test_managers_find_the_silent_customers_longest_silent_first(customer_desk, world, infra,
                                                                  engine):
    container, new_arrival = customer_desk          # owned by a, never followed up
    quiet = add_customer(container, infra, world, "b", "+86" + unique_phone())
    spoken_to = add_customer(container, infra, world, "b", "+86" + unique_phone())

    def back_date(customer: str, created_days: int, followup_days: int | None) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE customers.customers SET created_at = now() - make_interval(days => %s),"
                " last_followup_at = CASE WHEN %s::int IS NULL THEN NULL"
                " ELSE now() - make_interval(days => %s::int) END WHERE id = %s",
                (created_days, followup_days, followup_days, customer))

    back_date(new_arrival, 1, None)     # arrived yesterday: not silent yet
    back_date(quiet, 20, 10)            # last spoken to 10 days ago
    back_date(spoken_to, 20, 1)         # spoken to yesterday
    silent = call(container, "list", world.token("mgr"), {"silent_days": 3})
    assert [c["id"] for c in silent["items"]] == [quiet] and silent["total"] == 1
    back_date(new_arrival, 5, None)     # never followed up, arrived 5 days ago: silent since
    silent = call(container, "list", world.token("mgr"), {"silent_days": 3})["items"]
    assert [c["id"] for c in silent] == [quiet, new_arrival]
    # A consultant's own list only.
    assert [c["id"] for c in call(container, "list", world.token("a"),
                                  {"silent_days": 3})["items"]] == [new_arrival]
    with pytest.raises(ValidationFailed) as bad:
        call(container, "list", world.token("mgr"), {"silent_days": 0})
    assert bad.value.field == "silent_days"
