"""The privacy audit's pure rules: the notes writers append to a reason, the day filter,
masked names, and a test notice routed over one channel."""

import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from contracts.errors import ValidationFailed
from kit.privacy import ERASED_NAME, NO_CUSTOMER
from services.customers import audit
from services.tasks.notify import domain


def test_a_request_note_is_split_from_the_reason():
    rid = str(uuid.uuid4())
    found = audit.split_reason(f"客户来电要求 [request {rid}]")
    assert (found.text, found.request_id, found.export_id) == ("客户来电要求", rid, None)


def test_an_export_note_is_split_from_the_reason():
    eid = str(uuid.uuid4())
    found = audit.split_reason(f"月度报表 [export {eid}: 3 customers, phones masked]")
    assert (found.text, found.export_id, found.request_id) == ("月度报表", eid, None)


def test_a_plain_reason_stays_whole():
    assert audit.split_reason("核实身份 [request x]").text == "核实身份 [request x]"
    assert audit.split_reason(None).text is None


def test_names_are_masked_but_an_erased_one_says_so():
    assert audit.masked_name("欧阳测试") == "欧***"
    assert audit.masked_name("王") == "王*"
    assert audit.masked_name(ERASED_NAME) == ERASED_NAME


def test_days_are_shanghai_days_both_included():
    start, end = audit.day_bounds(date(2026, 12, 1), date(2026, 12, 1))
    assert start == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert end == datetime(2026, 12, 1, 16, tzinfo=UTC)
    assert audit.day_bounds(None, None) == (None, None)


def test_an_end_before_the_start_names_the_end():
    with pytest.raises(ValidationFailed) as refused:
        audit.day_bounds(date(2026, 12, 2), date(2026, 12, 1))
    assert refused.value.field == "to_date"


def test_an_audit_item_names_who_and_whom_masked():
    actor, customer = uuid.uuid4(), uuid.uuid4()
    row = SimpleNamespace(id=uuid.uuid4(), action="reveal_phone", actor_id=actor,
                          customer_id=customer, reason="回访",
                          at=datetime(2026, 12, 1, tzinfo=UTC))
    item = audit.audit_item(row, {actor: "管理员"}, {customer: "张三丰"})
    assert item["actor"] == {"id": str(actor), "name": "管理员"}
    assert item["customer"] == {"id": str(customer), "name": "张**"}
    assert item["reason"] == "回访"


def test_a_request_without_records_counts_none():
    actor = uuid.uuid4()
    row = audit.RequestRow(request_id=str(uuid.uuid4()), action="dsar_export",
                           actor_id=actor, at=datetime(2026, 12, 1, tzinfo=UTC),
                           customer_ids=[NO_CUSTOMER], reason="r [request x]")
    item = audit.request_item(row, {}, {})
    assert (item["kind"], item["records"], item["customers"]) == ("export", 0, [])


def test_a_channel_test_goes_over_that_channel_only():
    routing = domain.Routing({"task_overdue": ("inbox", "dingtalk")},
                             frozenset({"wecom", "dingtalk"}), frozenset())
    planned = domain.plan(domain.only(routing, "task_overdue", "wecom"), "task_overdue", "u")
    assert [p.channel for p in planned] == ["wecom"]
    assert routing.routes["task_overdue"] == ("inbox", "dingtalk")
