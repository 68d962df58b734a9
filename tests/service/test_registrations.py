"""报备 and 判客 through the leads service: races, protection, attribution, explanation."""

from datetime import timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Conflict, Forbidden
from kit import clock
from kit.rpc_client import RpcClient
from tests.service.conftest import add_users, count, new_lead, unique_phone


@pytest.fixture
def agents(leads, world):
    add_users(leads, world.user("a"), world.user("mgr", Role.manager),
              world.user("agent1", Role.channel_agent), world.user("agent2", Role.channel_agent))
    yield leads
    clock.reset()


def register(leads, world, who, phone, name="周女士"):
    with entrypoint_hook(leads, "register") as call:
        return call(world.token(who), {"name": name, "phone": phone,
                                       "project_id": str(world.project), "agency": "链家"})


def test_two_agents_registering_one_phone_at_once_exactly_one_holds(agents, world):
    phone = unique_phone()
    client = RpcClient(world.settings.amqp_uri, pool_size=2)

    def attempt(who):
        try:
            return client.call("leads", "register", world.token(who), {
                "name": "周女士", "phone": phone, "project_id": str(world.project)})["agent_id"]
        except Conflict as refused:
            return refused

    results = list(eventlet.GreenPool(2).imap(attempt, ["agent1", "agent2"]))
    client.close()
    held = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(held) == 1 and len(refused) == 1
    assert refused[0].details["holder_agent_id"] == held[0]
    assert "until" in refused[0].message


def test_registering_again_is_harmless_and_only_agents_register(agents, world):
    phone = unique_phone()
    first = register(agents, world, "agent1", phone)
    assert register(agents, world, "agent1", phone)["id"] == first["id"]
    assert first["phone"].count("*") == 4 and first["status"] == "active"
    with pytest.raises(Forbidden):
        register(agents, world, "a", unique_phone())


def test_a_walk_in_of_a_registered_customer_is_attributed_and_explained(agents, world,
                                                                        engine):
    phone = unique_phone()
    reg = register(agents, world, "agent1", phone)
    with entrypoint_hook(agents, "create") as create:
        lead = create(world.token("mgr"), new_lead(world, phone, channel="walk_in"))
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE id = :l AND agent_id = :a",
                 l=lead["lead_id"], a=world.users["agent1"]["id"]) == 1
    with entrypoint_hook(agents, "rulings") as rulings:
        [decision] = rulings(world.token("mgr"), lead["customer_id"])["items"]
    assert decision["rule"] == "visit_within_protection"
    assert decision["attributed_to"] == world.users["agent1"]["id"]
    assert decision["registration_id"] == reg["id"]
    with entrypoint_hook(agents, "my_registrations") as mine:
        [visited] = [r for r in mine(world.token("agent1"))["items"] if r["id"] == reg["id"]]
    assert visited["status"] == "visited" and visited["deal_protect_until"]
    # Deal protection now holds the customer against a second agent.
    with pytest.raises(Conflict):
        register(agents, world, "agent2", phone)


def test_after_protection_lapses_the_customer_is_natural_and_can_be_registered_anew(
        agents, world):
    phone = unique_phone()
    register(agents, world, "agent1", phone)
    clock.advance(timedelta(days=8))
    taken = register(agents, world, "agent2", phone)
    assert taken["agent_id"] == world.users["agent2"]["id"]
    second_phone = unique_phone()
    register(agents, world, "agent1", second_phone)
    clock.advance(timedelta(days=8))
    with entrypoint_hook(agents, "create") as create:
        lead = create(world.token("mgr"), new_lead(world, second_phone, channel="walk_in"))
    with entrypoint_hook(agents, "rulings") as rulings:
        [decision] = rulings(world.token("mgr"), lead["customer_id"])["items"]
    assert decision["outcome"] == "natural" and decision["rule"] == "registration_expired"


def test_an_existing_customer_cannot_be_registered(agents, world):
    phone = unique_phone()
    with entrypoint_hook(agents, "create") as create:
        create(world.token("a"), new_lead(world, phone))
    with pytest.raises(Conflict, match="already a customer"):
        register(agents, world, "agent1", phone)
