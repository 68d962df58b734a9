"""Grab mode (抢单): offered to the on-duty team, first grab wins, the window falls back."""

from datetime import timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Conflict
from kit import clock
from kit.rpc_client import RpcClient
from services.tasks.service import TasksService
from tests.service.conftest import add_users, count, new_lead, unique_phone, wait_for


@pytest.fixture
def grab_project(leads, world):
    add_users(leads, world.user("a"), world.user("b"), world.user("boss", Role.director))
    with entrypoint_hook(leads, "update_project_settings") as update:
        update(world.token("boss"), str(world.project),
               {"assignment": {"strategy": "grab", "grab_window_minutes": 10}})
    yield leads
    clock.reset()


def offered_lead(leads, world) -> dict:
    with entrypoint_hook(leads, "create") as create:
        return create(world.token("boss"), new_lead(world, unique_phone()))


def test_a_new_lead_is_offered_not_assigned_and_stays_out_of_the_pool(grab_project, world):
    lead = offered_lead(grab_project, world)
    assert lead["owner_id"] is None and "抢单" in lead["assignment_reason"]
    with entrypoint_hook(grab_project, "offers") as offers:
        assert lead["customer_id"] in {o["customer_id"] for o in
                                       offers(world.token("a"))["items"]}
    with entrypoint_hook(grab_project, "pool") as pool:
        assert lead["customer_id"] not in {c["customer_id"] for c in
                                           pool(world.token("a"))["items"]}
    with entrypoint_hook(grab_project, "claim") as claim, pytest.raises(Conflict):
        claim(world.token("a"), lead["customer_id"])


def test_the_first_grab_wins_and_gets_the_first_contact_task(grab_project, world, start,
                                                            engine):
    start(TasksService)
    lead = offered_lead(grab_project, world)
    with entrypoint_hook(grab_project, "offers") as offers:
        [offer] = [o for o in offers(world.token("a"))["items"]
                   if o["customer_id"] == lead["customer_id"]]
    client = RpcClient(world.settings.amqp_uri, pool_size=2)

    def attempt(who):
        try:
            return client.call("leads", "grab", world.token(who), offer["id"])["owner_id"]
        except Conflict:
            return None

    results = list(eventlet.GreenPool(2).imap(attempt, ["a", "b"]))
    client.close()
    [winner] = [r for r in results if r]
    wait_for(lambda: count(engine, "SELECT count(*) FROM tasks.tasks WHERE customer_id = :c "
                           "AND owner_id = :o AND kind = 'first_contact'",
                           c=lead["customer_id"], o=winner))


def test_an_offer_nobody_grabs_goes_round_robin_when_the_window_passes(grab_project, world,
                                                                      engine):
    lead = offered_lead(grab_project, world)
    clock.advance(timedelta(minutes=11))
    owner = wait_for(lambda: count(
        engine, "SELECT count(*) FROM leads.customer_keys WHERE customer_id = :c "
        "AND owner_id IS NOT NULL", c=lead["customer_id"]), timeout=15)
    assert owner == 1
    assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = :c "
                 "AND action = 'grab_fallback'", c=lead["customer_id"]) == 1
