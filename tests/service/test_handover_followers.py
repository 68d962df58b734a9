"""What follows a handover (离职交接, 批量转移) outside the leads service: the customer's
profile follows the new owner and its history says who moved it, from whom, to whom and
why; open SOP tasks go to the new owner with their deadlines, or are cancelled when the
customer goes to the pool."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from contracts import handover as h
from contracts.actor import Role
from contracts.errors import NotFound
from kit import clock
from services.tasks.service import TasksService
from tests.service.conftest import add_users, call, envelope
from tests.service.test_sop_engine import new_customer


def batch(world, customers, to: str | None, *, frm="a", revision=2, action="handover",
          reason=h.HANDOVER_REASON, handover_id=None) -> h.HandedOver:
    return h.HandedOver(
        handover_id=handover_id or uuid.uuid4(), company_id=world.company, action=action,
        reason=reason, by=world.users["mgr"]["id"], at=clock.now(), moves=[h.Move(
            customer_id=customer, project_id=world.project,
            owner_id=world.users[to]["id"] if to else None,
            previous_owner_id=world.users[frm]["id"], owner_revision=revision)
            for customer in customers])


def deliver(container, handler: str, event_type: str, payload) -> None:
    with entrypoint_hook(container, handler) as handle:
        handle(envelope("leads", event_type, payload.model_dump(mode="json")))


def handed_over(container, fact: h.HandedOver) -> None:
    deliver(container, "on_customers_handed_over", h.CUSTOMERS_HANDED_OVER, fact)


def test_the_profile_follows_and_the_history_says_why(customer_desk, world):
    container, customer = customer_desk
    handover_id = uuid.uuid4()
    handed_over(container, batch(world, [customer], "b", handover_id=handover_id))
    assert call(container, "get", world.token("b"), customer)["owner_id"] == \
        world.users["b"]["id"]
    with pytest.raises(NotFound):
        call(container, "get", world.token("a"), customer)
    [entry] = call(container, "history", world.token("b"), customer)["items"]
    assert entry["actor_id"] == world.users["mgr"]["id"]
    assert entry["changes"] == {
        "owner_id": [world.users["a"]["id"], world.users["b"]["id"]], "owner": ["a", "b"],
        "reason": "离职交接", "action": "handover", "handover_id": str(handover_id)}


def test_an_older_move_arriving_late_does_not_roll_the_owner_back(customer_desk, world):
    container, customer = customer_desk
    handed_over(container, batch(world, [customer], "mgr", revision=3, action="reassign",
                                 reason=h.REASSIGN_REASON))
    handed_over(container, batch(world, [customer], "b", revision=2))
    assert call(container, "get", world.token("mgr"), customer)["owner_id"] == \
        world.users["mgr"]["id"]
    reasons = [e["changes"]["reason"] for e in call(container, "history", world.token("mgr"),
                                                    customer)["items"]]
    assert sorted(reasons) == ["批量转移", "离职交接"]   # both moves happened; both are kept


def test_a_handover_to_the_pool_is_on_the_history_too(customer_desk, world):
    container, customer = customer_desk
    add_users(container, world.user("boss", Role.director))
    handed_over(container, batch(world, [customer], None))
    history = call(container, "history", world.token("boss"), customer)["items"]
    assert [e["changes"]["owner"] for e in history] == [["a", "公海"]]
    assert call(container, "get", world.token("boss"), customer)["owner_id"] is None


def test_a_batch_whose_profiles_are_not_all_here_yet_waits_and_applies_none(
        customer_desk, world):
    container, customer = customer_desk
    with pytest.raises(LookupError):
        handed_over(container, batch(world, [customer, str(uuid.uuid4())], "b"))
    assert call(container, "get", world.token("a"), customer)["owner_id"] == \
        world.users["a"]["id"]
    assert call(container, "history", world.token("a"), customer)["items"] == []


@pytest.fixture
def sop(start, world):
    container = start(TasksService)
    add_users(container, world.user("a"), world.user("b"), world.user("mgr", Role.manager))
    return container


def open_tasks(container, world, customer) -> dict[str, tuple[str, str]]:
    items = call(container, "list", world.token("mgr"), {"customer_id": customer})["items"]
    return {t["kind"]: (t["status"], t["owner_id"], t["due_at"]) for t in items}


def test_open_tasks_move_to_the_new_owner_with_their_deadlines(sop, world):
    customer = new_customer(sop, world)
    before = open_tasks(sop, world, customer)
    assert {owner for _, owner, _ in before.values()} == {world.users["a"]["id"]}
    other = new_customer(sop, world)
    handed_over(sop, batch(world, [customer, other], "b"))
    after = open_tasks(sop, world, customer)
    assert after == {kind: ("open", world.users["b"]["id"], due)
                     for kind, (_, _, due) in before.items()}
    mine = call(sop, "list", world.token("b"), {"customer_id": other})["items"]
    assert {t["status"] for t in mine} == {"open"} and len(mine) == len(before)


def test_a_handover_to_the_pool_cancels_open_tasks_as_a_release_does(sop, world):
    customer = new_customer(sop, world)
    kept = new_customer(sop, world)
    handed_over(sop, h.HandedOver.model_validate({
        **batch(world, [customer], None).model_dump(), "moves": [
            *batch(world, [customer], None).model_dump()["moves"],
            *batch(world, [kept], "b").model_dump()["moves"]]}))
    assert {status for status, _, _ in open_tasks(sop, world, customer).values()} == {
        "cancelled"}
    assert {(s, o) for s, o, _ in open_tasks(sop, world, kept).values()} == {
        ("open", world.users["b"]["id"])}
