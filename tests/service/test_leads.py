"""The leads service over real RabbitMQ and PostgreSQL: intake, dedupe, assignment, refusals."""

import uuid

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from kit.rpc_client import RpcClient
from tests.service.conftest import add_users, count, new_lead, unique_phone


def test_leads_from_a_manager_go_round_robin_to_on_duty_consultants(leads, world):
    a, b, c = (world.user(k) for k in ("a", "b", "c"))
    off = world.user("off", on_duty=False)
    gone = world.user("gone", active=False)
    add_users(leads, a, b, c, off, gone, world.user("mgr", Role.manager))
    with entrypoint_hook(leads, "create") as create:
        owners = [create(world.token("mgr"), new_lead(world, unique_phone()))["owner_id"]
                  for _ in range(6)]
    expected = sorted([a["id"], b["id"], c["id"]])
    assert owners == expected + expected
    assert off["id"] not in owners and gone["id"] not in owners


def test_a_consultant_keeps_a_lead_they_enter(leads, world):
    add_users(leads, world.user("a"), world.user("b"))
    with entrypoint_hook(leads, "create") as create:
        accepted = create(world.token("b"), new_lead(world, unique_phone()))
    assert accepted["owner_id"] == world.users["b"]["id"]


def test_the_same_phone_in_another_form_and_channel_is_a_duplicate(leads, world, engine):
    add_users(leads, world.user("a"), world.user("mgr", Role.manager))
    phone = unique_phone()
    with entrypoint_hook(leads, "create") as create:
        first = create(world.token("mgr"), new_lead(world, phone))
        again = create(world.token("mgr"), new_lead(world, f"+86 {phone[:3]} {phone[3:]}",
                                                     channel="beike"))
    assert first["status"] == "created" and again["status"] == "duplicate"
    assert again["customer_id"] == first["customer_id"]
    assert again["owner_id"] == first["owner_id"]
    # The attempt is recorded, not dropped; only the first announces a new customer.
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE customer_id = :c",
                 c=first["customer_id"]) == 2
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = 'lead.assigned'"
                 " AND envelope->'payload'->>'customer_id' = :c", c=first["customer_id"]) == 1


def test_eight_simultaneous_posts_of_one_phone_create_one_customer(leads, world):
    add_users(leads, world.user("a"), world.user("mgr", Role.manager))
    phone, token = unique_phone(), world.token("mgr")
    client = RpcClient(world.settings.amqp_uri, pool_size=8)
    answers = list(eventlet.GreenPool(8).imap(
        lambda _: client.call("leads", "create", token, new_lead(world, phone)), range(8)))
    client.close()
    assert sorted(a["status"] for a in answers) == ["created"] + ["duplicate"] * 7
    assert len({a["customer_id"] for a in answers}) == 1


def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer(leads, world, engine):
    add_users(leads, world.user("a"), world.user("mgr", Role.manager))
    lead, key = new_lead(world, unique_phone()), str(uuid.uuid4())
    with entrypoint_hook(leads, "create") as create:
        first = create(world.token("mgr"), lead, key)
        retry = create(world.token("mgr"), lead, key)
        with pytest.raises(Conflict) as reused:
            create(world.token("mgr"), {**lead, "name": "李四"}, key)
    assert retry == first
    assert reused.value.field == "Idempotency-Key"
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE customer_id = :c",
                 c=first["customer_id"]) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"phone": None}, "phone"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "not a phone"}, "phone"),
    ({"channel": "telepathy"}, "channel"),
    ({"project_id": str(uuid.uuid4())}, "project_id"),
    ({"project_id": "nope"}, "project_id"),
    ({"name": ""}, "name"),
    ({"name": "张" * 51}, "name"),
    ({"budget": 3_000_000}, "budget"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(leads, world, engine,
                                                                      change, field):
    add_users(leads, world.user("mgr", Role.manager))
    lead = {k: v for k, v in {**new_lead(world, unique_phone()), **change}.items()
            if v is not None}
    with entrypoint_hook(leads, "create") as create, pytest.raises(ValidationFailed) as caught:
        create(world.token("mgr"), lead)
    assert caught.value.field == field
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                 c=world.company) == 0


def test_a_forged_or_missing_token_is_refused(leads, world):
    world.user("mgr", Role.manager)
    forged = world.token("mgr")[:-4] + "AAAA"
    with entrypoint_hook(leads, "create") as create:
        for token in (forged, "", None):
            with pytest.raises(Unauthenticated):
                create(token, new_lead(world, unique_phone()))


def test_roles_without_sales_access_and_outsiders_cannot_enter_leads(leads, world):
    add_users(leads, world.user("owner", Role.homeowner),
              world.user("elsewhere", projects=[world.other_project]))
    with entrypoint_hook(leads, "create") as create:
        for who in ("owner", "elsewhere"):
            with pytest.raises(Forbidden):
                create(world.token(who), new_lead(world, unique_phone()))


def test_every_arrival_of_a_customer_is_kept_with_who_which_channel_and_why(leads, world):
    # b is off duty, so the rotation gives the customer to a; b still enters a walk-in.
    add_users(leads, world.user("a"), world.user("mgr", Role.manager),
              world.user("b", on_duty=False))
    phone = unique_phone()
    with entrypoint_hook(leads, "create") as create:
        first = create(world.token("mgr"), new_lead(world, phone))
        create(world.token("b"), new_lead(world, phone, channel="walk_in"))
    with entrypoint_hook(leads, "arrivals") as arrivals:
        history = arrivals(world.token("mgr"), first["customer_id"])["items"]
        assert [(h["status"], h["channel"]) for h in history] == [
            ("created", "douyin"), ("duplicate", "walk_in")]
        assert history[1]["created_by"] == world.users["b"]["id"]
        assert "round-robin" in history[0]["assignment_reason"]
        assert first["owner_id"] == world.users["a"]["id"]
        with pytest.raises(NotFound):
            arrivals(world.token("b"), first["customer_id"])
