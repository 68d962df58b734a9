"""The 360° profile: edits with optimistic concurrency, history, tags, completeness."""

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from contracts.errors import Conflict, Forbidden, ValidationFailed
from contracts.leads import LEAD_CREATED, LeadCreated
from kit import clock
from kit.crypto import Vault
from tests.service.conftest import (
    add_customer,
    add_users,
    call,
    count,
    envelope,
    unique_phone,
)


def test_an_edit_bumps_the_version_and_a_stale_one_gets_409(customer_desk, world):
    container, customer = customer_desk
    before = call(container, "get", world.token("a"), customer)
    edited = call(container, "update", world.token("a"), customer, {
        "version": before["version"], "budget_min": 2_500_000, "budget_max": 3_500_000,
        "layouts": ["三室两厅"], "purpose": "upgrade", "gender": "female"})
    assert edited["version"] == before["version"] + 1
    assert edited["portrait"]["layouts"] == ["三室两厅"]
    with pytest.raises(Conflict) as stale:
        call(container, "update", world.token("mgr"), customer,
             {"version": before["version"], "purpose": "investment"})
    assert stale.value.field == "version"
    assert stale.value.details["current_version"] == edited["version"]
    assert call(container, "get", world.token("a"), customer)["portrait"]["purpose"] == \
        "upgrade"


def test_every_change_is_kept_with_who_and_what(customer_desk, world):
    container, customer = customer_desk
    version = call(container, "get", world.token("a"), customer)["version"]
    call(container, "update", world.token("a"), customer,
         {"version": version, "name": "王女士", "wechat": "wxid_abc123"})
    [entry] = call(container, "history", world.token("mgr"), customer)["items"]
    assert entry["actor_id"] == world.users["a"]["id"]
    assert entry["changes"]["name"][1] == "王女士"
    assert "wxid_abc123" not in str(entry)  # personal data never lands in history


def test_tags_are_checked_against_the_dimensions_and_searchable(customer_desk, world):
    container, customer = customer_desk
    version = call(container, "get", world.token("a"), customer)["version"]
    with pytest.raises(ValidationFailed) as bad:
        call(container, "update", world.token("a"), customer,
             {"version": version, "tags": {"focus": ["海景房"]}})
    assert bad.value.field == "tags.focus"
    with pytest.raises(ValidationFailed) as single:
        call(container, "update", world.token("a"), customer,
             {"version": version, "tags": {"family": ["单身", "三口之家"]}})
    assert single.value.field == "tags.family"
    tagged = call(container, "update", world.token("a"), customer, {
        "version": version, "tags": {"focus": ["学区", "地铁"]}, "free_tags": ["周末看房"]})
    assert tagged["tags"] == {"focus": ["地铁", "学区"]} and tagged["free_tags"] == ["周末看房"]
    found = call(container, "list", world.token("a"), {"tag": "focus:学区"})["items"]
    assert [c["id"] for c in found] == [customer]
    assert call(container, "list", world.token("a"), {"tag": "focus:医疗"})["items"] == []


def test_completeness_grows_as_the_profile_fills(customer_desk, world, engine):
    container, customer = customer_desk
    start = call(container, "get", world.token("a"), customer)
    filled = call(container, "update", world.token("a"), customer, {
        "version": start["version"], "gender": "male", "age_band": "35-44",
        "wechat": "wx_full", "budget_min": 3_000_000, "area_min": 89,
        "layouts": ["三室"], "districts": ["滨江"], "purpose": "self_use",
        "tags": {"family": ["三口之家"]}})
    assert start["completeness"] < filled["completeness"] == 100
    assert count(engine, "SELECT completeness FROM customers.customers WHERE id = :c",
                 c=customer) == 100


def test_only_an_admin_defines_tag_dimensions(customer_desk, world):
    container, _ = customer_desk
    spec = {"code": "decor", "name": "装修偏好", "values": ["精装", "毛坯"], "multi": False}
    with pytest.raises(Forbidden):
        call(container, "define_tag_dimension", world.token("mgr"), spec)
    add_users(container, world.user("root", role="admin"))
    with entrypoint_hook(container, "define_tag_dimension") as define:
        define(world.token("root"), spec)
    codes = [d["code"] for d in call(container, "tag_dimensions", world.token("a"))["items"]]
    assert "decor" in codes and "focus" in codes


def graded_lead(container, settings, world, customer_id, grade, duplicate=True):
    payload = LeadCreated(
        lead_id=uuid.uuid4(), customer_id=customer_id, company_id=world.company,
        project_id=world.project, channel="douyin", sub_source=None, name="客户a",
        phone=Vault.from_settings(settings).seal_phone("+86" + unique_phone()),
        duplicate=duplicate, owner_id=world.users["a"]["id"], created_at=clock.now(),
        grade=grade)
    with entrypoint_hook(container, "on_lead_created") as handle:
        handle(envelope("leads", LEAD_CREATED, payload.model_dump(mode="json")))
    return str(payload.customer_id)


def test_a_customers_grade_follows_the_warmest_lead_until_a_person_sets_it(
        customer_desk, world, infra):
    container, _ = customer_desk
    graded = graded_lead(container, infra, world, uuid.uuid4(), "C", duplicate=False)
    grade = lambda: call(container, "get", world.token("a"), graded)["grade"]  # noqa: E731
    assert grade() == "C"
    graded_lead(container, infra, world, graded, "D")       # a colder lead changes nothing
    assert grade() == "C"
    graded_lead(container, infra, world, graded, "B")       # a warmer one raises it
    assert grade() == "B"
    version = call(container, "get", world.token("a"), graded)["version"]
    set_ = call(container, "update", world.token("a"), graded, {"version": version,
                                                                "grade": "D"})
    assert set_["grade"] == "D" and set_["version"] == version + 1
    graded_lead(container, infra, world, graded, "A")       # the person's grade stands
    assert grade() == "D"
    assert [c["id"] for c in call(container, "list", world.token("a"),
                                  {"grade": "D"})["items"]] == [graded]
    assert graded not in [c["id"] for c in call(container, "list", world.token("a"),
                                                {"grade": "A"})["items"]]
    with pytest.raises(ValidationFailed) as bad:
        call(container, "list", world.token("a"), {"grade": "E"})
    assert bad.value.field == "grade"


def test_a_list_of_named_customers_answers_only_those_the_caller_may_see(customer_desk, world,
                                                                        infra):
    container, mine = customer_desk
    theirs = add_customer(container, infra, world, "b", "+86" + unique_phone())
    found = call(container, "list", world.token("a"), {"ids": f"{mine},{theirs}"})
    assert [c["id"] for c in found["items"]] == [mine]       # b's customer is not a's
    both = call(container, "list", world.token("mgr"), {"ids": f"{mine},{theirs}",
                                                        "page_size": 200})
    assert {c["id"] for c in both["items"]} == {mine, theirs}
    with pytest.raises(ValidationFailed) as bad:
        call(container, "list", world.token("a"), {"ids": "not-a-uuid"})
    assert bad.value.field.startswith("ids")
