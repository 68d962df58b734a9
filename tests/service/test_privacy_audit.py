"""The privacy audit over real RabbitMQ and PostgreSQL: who revealed or exported whose data,
filtered and paged; the past data-subject requests; and who may read either."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.actor import Role
from contracts.errors import Forbidden, ValidationFailed
from kit import clock
from services.customers.service import CustomersService
from tests.service.conftest import add_customer, add_users, call, unique_phone


@pytest.fixture
def desk(start, world):
    container = start(CustomersService)
    add_users(container, world.user("a"), world.user("mgr", Role.manager),
              world.user("root", Role.admin, scopes=("pii:reveal",)),
              world.user("dpo", Role.director, scopes=("privacy",)),
              world.user("lead", Role.director, scopes=("pii:reveal",)))
    yield container
    clock.reset()


def customer(desk, infra, world) -> str:
    return add_customer(desk, infra, world, "a", "+86" + unique_phone())


def test_a_reveal_is_listed_with_who_whom_why_and_when(desk, infra, world):
    first = customer(desk, infra, world)
    call(desk, "reveal_phone", world.token("root"), first, "客户回电核实")
    page = call(desk, "privacy_audit", world.token("root"), {})
    assert page["total"] == 1
    item = page["items"][0]
    assert item["action"] == "reveal_phone"
    assert item["actor"] == {"id": world.users["root"]["id"], "name": "root"}
    assert item["customer"]["id"] == first
    assert item["customer"]["name"] == "客**"          # 客户a, masked
    assert item["reason"] == "客户回电核实"
    assert item["at"]


def test_filters_by_action_actor_customer_and_days(desk, infra, world):
    first, second = customer(desk, infra, world), customer(desk, infra, world)
    call(desk, "reveal_phone", world.token("root"), first, "一")
    call(desk, "reveal_phone", world.token("lead"), second, "二")
    call(desk, "export_customers", world.token("mgr"), {"reason": "月度盘点"})
    root = world.token("root")

    def ids(query):
        return [(i["action"], i["actor"]["name"], i["customer"]["id"])
                for i in call(desk, "privacy_audit", root, query)["items"]]

    assert ids({"actor_id": world.users["lead"]["id"]}) == [("reveal_phone", "lead", second)]
    assert ids({"customer_id": first, "action": "reveal_phone"}) == [
        ("reveal_phone", "root", first)]
    exported = call(desk, "privacy_audit", root, {"action": "export"})["items"]
    assert {i["customer"]["id"] for i in exported} == {first, second}
    assert {i["reason"] for i in exported} == {"月度盘点"} and exported[0]["export_id"]
    today = clock.local_today().isoformat()
    assert len(ids({"from_date": today, "to_date": today})) == 4
    tomorrow = (clock.local_today() + timedelta(days=1)).isoformat()
    assert ids({"from_date": tomorrow}) == []
    with pytest.raises(ValidationFailed) as refused:
        call(desk, "privacy_audit", root, {"from_date": tomorrow, "to_date": today})
    assert refused.value.field == "to_date"
    with pytest.raises(ValidationFailed) as refused:
        call(desk, "privacy_audit", root, {"action": "peek"})
    assert refused.value.field == "action"


def test_pages_are_stable_and_complete(desk, infra, world):
    someone = customer(desk, infra, world)
    for n in range(5):
        call(desk, "reveal_phone", world.token("root"), someone, f"第{n}次")
    root = world.token("root")
    pages = [call(desk, "privacy_audit", root, {"page": p, "page_size": 2}) for p in (1, 2, 3)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    seen = [i["id"] for p in pages for i in p["items"]]
    assert len(seen) == len(set(seen)) == 5
    whole = call(desk, "privacy_audit", root, {"page_size": 10})["items"]
    assert [i["id"] for i in whole] == seen                     # the same order
    assert [i["reason"] for i in whole] == [f"第{n}次" for n in (4, 3, 2, 1, 0)]  # newest first


def test_only_an_admin_or_the_privacy_scope_reads_the_audit(desk, infra, world):
    someone = customer(desk, infra, world)
    call(desk, "reveal_phone", world.token("root"), someone, "核实")
    for who in ("a", "mgr", "lead"):          # a director with pii:reveal is not enough
        with pytest.raises(Forbidden):
            call(desk, "privacy_audit", world.token(who), {})
        with pytest.raises(Forbidden):
            call(desk, "subject_requests", world.token(who), {})
    assert call(desk, "privacy_audit", world.token("dpo"), {})["total"] == 1


def test_another_company_sees_none_of_it(desk, infra, world):
    someone = customer(desk, infra, world)
    call(desk, "reveal_phone", world.token("root"), someone, "核实")
    other = type(world)(infra)
    add_users(desk, other.user("root", Role.admin))
    assert call(desk, "privacy_audit", other.token("root"), {})["total"] == 0
    assert call(desk, "subject_requests", other.token("root"), {})["total"] == 0


def test_past_requests_are_grouped_by_request(desk, infra, world):
    erased = customer(desk, infra, world)
    dpo = world.token("dpo")
    answer = call(desk, "subject_request", dpo, {"kind": "erase", "customer_id": erased,
                                                 "reason": "本人书面申请删除"})
    nobody = call(desk, "subject_request", dpo, {"kind": "erase", "phone": unique_phone(),
                                                 "reason": "来电申请删除"})
    page = call(desk, "subject_requests", world.token("root"), {})
    assert page["total"] == 2
    newest, oldest = page["items"]
    assert newest["request_id"] == nobody["request_id"] and newest["records"] == 0
    assert oldest["request_id"] == answer["request_id"]
    assert oldest["kind"] == "erase" and oldest["reason"] == "本人书面申请删除"
    assert oldest["actor"]["name"] == "dpo"
    assert oldest["customers"] == [{"id": erased, "name": "已删除"}]
    assert oldest["records"] == 1
    assert call(desk, "subject_requests", dpo, {"kind": "export"})["total"] == 0
    audit = call(desk, "privacy_audit", dpo, {"action": "dsar_erase"})["items"]
    assert {i["request_id"] for i in audit} == {answer["request_id"], nobody["request_id"]}
    assert uuid.UUID(audit[0]["request_id"])
