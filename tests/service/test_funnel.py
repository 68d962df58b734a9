"""Stages and follow-ups through the customers service: rules, events, scope, retries."""

import uuid
from datetime import timedelta

import pytest

from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, ValidationFailed
from kit import clock
from tests.service.conftest import add_users, call, count


def events(engine, customer, event_type):
    return count(engine, "SELECT count(*) FROM customers.outbox WHERE event_type = :t AND "
                 "envelope->'payload'->>'customer_id' = :c", t=event_type, c=customer)


def test_a_stage_move_records_who_when_and_time_in_the_previous_stage(customer_desk, world, engine):
    container, customer = customer_desk
    clock.advance(timedelta(hours=2))
    moved = call(container, "change_stage", world.token("a"), customer, {"stage": "contacted"})
    assert moved["stage"] == "contacted" and moved["stage_label"] == "初步沟通"
    [change] = call(container, "stage_history", world.token("mgr"), customer)["items"]
    assert change["from"] == "new" and change["actor_id"] == world.users["a"]["id"]
    assert 2 * 3600 <= change["seconds_in_previous"] < 2 * 3600 + 60
    assert events(engine, customer, "customer.stage_changed") == 1
    # A retry of the same move changes nothing and announces nothing.
    call(container, "change_stage", world.token("a"), customer, {"stage": "contacted"})
    assert events(engine, customer, "customer.stage_changed") == 1


def test_refused_moves_name_the_field_and_leave_the_stage(customer_desk, world):
    container, customer = customer_desk
    call(container, "change_stage", world.token("a"), customer, {"stage": "visited"})
    for move, field in (({"stage": "contacted"}, "stage"), ({"stage": "signed"}, "deal_amount"),
                        ({"stage": "lost"}, "reason"), ({"stage": "won"}, "stage")):
        with pytest.raises(ValidationFailed) as refused:
            call(container, "change_stage", world.token("a"), customer, move)
        assert refused.value.field == field
    assert call(container, "get", world.token("a"), customer)["stage"] == "visited"


def test_signing_keeps_the_deal(customer_desk, world, engine):
    container, customer = customer_desk
    call(container, "change_stage", world.token("a"), customer,
         {"stage": "signed", "deal_amount": 3_280_000, "unit": "5幢1单元1203"})
    assert count(engine, "SELECT count(*) FROM customers.customers WHERE id = :c AND "
                 "deal_amount = 3280000 AND deal_unit = '5幢1单元1203'", c=customer) == 1


def test_follow_ups_are_logged_once_per_client_id_and_announced(customer_desk, world, engine):
    container, customer = customer_desk
    key = str(uuid.uuid4())
    tomorrow = (clock.now() + timedelta(days=1)).isoformat()
    body = {"type": "viewing", "content": "带看样板间，关注学区", "units": ["A户型", "3-1-1201"],
            "next_contact_at": tomorrow, "client_id": key}
    first = call(container, "log_followup", world.token("a"), customer, body)
    again = call(container, "log_followup", world.token("a"), customer, body)
    assert first["id"] == again["id"] and first["units"] == ["A户型", "3-1-1201"]
    assert events(engine, customer, "followup.logged") == 1
    listed = call(container, "followups", world.token("mgr"), customer)["items"]
    assert [f["id"] for f in listed] == [first["id"]]


def test_follow_up_refusals(customer_desk, world):
    container, customer = customer_desk
    past = (clock.now() - timedelta(hours=1)).isoformat()
    cases = [({"type": "call", "content": "x", "next_contact_at": past}, "next_contact_at"),
             ({"type": "call", "content": "x", "units": ["A户型"]}, "units"),
             ({"type": "fax", "content": "x"}, "type"),
             ({"type": "call", "content": ""}, "content")]
    for body, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            call(container, "log_followup", world.token("a"), customer, body)
        assert refused.value.field == field


def test_nobody_outside_the_scope_moves_or_follows_up(customer_desk, world):
    container, customer = customer_desk
    with pytest.raises(NotFound):
        call(container, "log_followup", world.token("b"), customer,
             {"type": "call", "content": "抢客户"})
    with pytest.raises(NotFound):
        call(container, "change_stage", world.token("b"), customer, {"stage": "contacted"})
    with pytest.raises(Forbidden):
        call(container, "change_stage", world.token("svc"), customer, {"stage": "contacted"})


def test_a_director_shortens_the_projects_funnel(customer_desk, world):
    container, customer = customer_desk
    add_users(container, world.user("boss", Role.director))
    short = {"stages": ["new", "contacted", "visited", "intent", "signed"]}
    with pytest.raises(Forbidden):
        call(container, "update_funnel", world.token("mgr"), str(world.project), short)
    call(container, "update_funnel", world.token("boss"), str(world.project), short)
    assert call(container, "get_funnel", world.token("a"), str(world.project))["stages"] == \
        short["stages"]
    with pytest.raises(ValidationFailed) as refused:
        call(container, "change_stage", world.token("a"), customer, {"stage": "invited"})
    assert refused.value.field == "stage"
    assert call(container, "change_stage", world.token("a"), customer,
                {"stage": "visited"})["stage"] == "visited"


def test_viewings_build_the_customers_viewing_track(customer_desk, world):
    container, customer = customer_desk
    for units, hours in ((["A户型", "3-1-1201"], 0), (["3-1-1201"], 26), ([], 50)):
        clock.advance(timedelta(hours=hours))
        call(container, "log_followup", world.token("a"), customer,
             {"type": "viewing", "content": "带看", "units": units})
    call(container, "log_followup", world.token("a"), customer,
         {"type": "call", "content": "电话回访"})
    track = call(container, "viewings", world.token("mgr"), customer)
    assert [v["units"] for v in track["viewings"]] == [["A户型", "3-1-1201"], ["3-1-1201"], []]
    shown = {u["unit"]: u for u in track["units"]}
    assert (shown["3-1-1201"]["times"], shown["A户型"]["times"]) == (2, 1)
    assert shown["3-1-1201"]["first_at"] < shown["3-1-1201"]["last_at"]
    with pytest.raises(NotFound):
        call(container, "viewings", world.token("b"), customer)
