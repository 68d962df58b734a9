"""The public pool (公海): claim, assign, release; races; caps; ownership reaching customers."""

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit.rpc_client import RpcClient
from services.customers.service import CustomersService
from tests.service.conftest import add_users, call, count, new_lead, unique_phone, wait_for


@pytest.fixture
def people(leads, world):
    facts = [world.user("a"), world.user("b"), world.user("c"),
             world.user("mgr", Role.manager), world.user("boss", Role.director),
             world.user("far", team=world.other_team, projects=[world.other_project])]
    add_users(leads, *facts)
    # c releases every pooled_customer(); no cooling unless a test wants it.
    call(leads, "update_project_settings", world.token("boss"), str(world.project),
         {"pool": {"daily_claim_cap": 5, "cooling_days": 0}})
    return leads


def pooled_customer(leads, world) -> str:
    """A customer nobody owns: entered by consultant c (who keeps it) and released."""
    with entrypoint_hook(leads, "create") as create:
        accepted = create(world.token("c"), new_lead(world, unique_phone()))
    with entrypoint_hook(leads, "release") as release:
        release(world.token("c"), accepted["customer_id"], {"reason": "测试入池"})
    return accepted["customer_id"]




def test_two_consultants_claiming_at_once_exactly_one_wins(people, world):
    customer = pooled_customer(people, world)
    client = RpcClient(world.settings.amqp_uri, pool_size=2)

    def claim(who):
        try:
            return client.call("leads", "claim", world.token(who), customer)["owner_id"]
        except Conflict:
            return "lost"

    results = list(eventlet.GreenPool(2).imap(claim, ["a", "b"]))
    client.close()
    winners = [r for r in results if r != "lost"]
    assert len(winners) == 1 and winners[0] in (world.users["a"]["id"], world.users["b"]["id"])


def test_the_pool_lists_unowned_customers_of_your_projects_only(people, world):
    customer = pooled_customer(people, world)
    assert customer in {i["customer_id"] for i in call(people, "pool", world.token("a"))["items"]}
    assert call(people, "pool", world.token("far"))["items"] == []
    with pytest.raises(NotFound):
        call(people, "claim", world.token("far"), customer)


def test_the_daily_claim_cap_holds(people, world):
    call(people, "update_project_settings", world.token("boss"), str(world.project),
         {"pool": {"daily_claim_cap": 2, "cooling_days": 0}})
    customers = [pooled_customer(people, world) for _ in range(3)]
    standing = call(people, "pool", world.token("a"))
    assert (standing["claims_left"], standing["daily_claim_cap"]) == (2, 2)
    call(people, "claim", world.token("a"), customers[0])
    assert call(people, "pool", world.token("a"))["claims_left"] == 1   # shown on 公海
    call(people, "claim", world.token("a"), customers[1])
    assert call(people, "pool", world.token("a"))["claims_left"] == 0
    with pytest.raises(Forbidden, match="daily claim limit"):
        call(people, "claim", world.token("a"), customers[2])
    assert call(people, "claim", world.token("b"), customers[2])["owner_id"] == \
        world.users["b"]["id"]


def test_whoever_released_a_customer_cannot_take_it_back_while_it_cools(people, world, engine):
    call(people, "update_project_settings", world.token("boss"), str(world.project),
         {"pool": {"daily_claim_cap": 5, "cooling_days": 7}})
    customer = pooled_customer(people, world)
    call(people, "claim", world.token("a"), customer)
    with pytest.raises(ValidationFailed) as no_reason:
        call(people, "release", world.token("a"), customer, {})
    assert no_reason.value.field == "reason"
    call(people, "release", world.token("a"), customer, {"reason": "客户无购房意向"})
    with pytest.raises(Forbidden, match="after"):
        call(people, "claim", world.token("a"), customer)
    assert call(people, "claim", world.token("b"), customer)["owner_id"] == \
        world.users["b"]["id"]
    assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = :c",
                 c=customer) >= 3


def test_only_the_owner_their_manager_or_above_may_release(people, world):
    customer = pooled_customer(people, world)
    call(people, "claim", world.token("a"), customer)
    with pytest.raises(NotFound):
        call(people, "release", world.token("b"), customer, {"reason": "抢客户"})
    call(people, "release", world.token("mgr"), customer, {"reason": "长期未跟进"})
    assert customer in {i["customer_id"] for i in call(people, "pool", world.token("b"))["items"]}


def test_a_manager_assigns_from_the_pool_to_their_own_team_only(people, world):
    customer = pooled_customer(people, world)
    with pytest.raises(Forbidden):
        call(people, "claim", world.token("mgr"), customer)
    with pytest.raises(ValidationFailed) as outsider:
        call(people, "assign_from_pool", world.token("mgr"), customer,
             {"owner_id": world.users["far"]["id"]})
    assert outsider.value.field == "owner_id"
    assigned = call(people, "assign_from_pool", world.token("mgr"), customer,
                    {"owner_id": world.users["c"]["id"]})
    assert assigned["owner_id"] == world.users["c"]["id"]


def test_the_customer_profile_follows_claims_and_releases(people, world, start, engine):
    start(CustomersService)
    customer = pooled_customer(people, world)
    wait_for(lambda: count(engine, "SELECT count(*) FROM customers.customers WHERE id = :c "
                           "AND owner_id IS NULL", c=customer))
    call(people, "claim", world.token("a"), customer)
    wait_for(lambda: count(engine, "SELECT count(*) FROM customers.customers WHERE id = :c "
                           "AND owner_id = :o", c=customer, o=world.users["a"]["id"]))
    call(people, "release", world.token("a"), customer, {"reason": "号码空号"})
    wait_for(lambda: count(engine, "SELECT count(*) FROM customers.customers WHERE id = :c "
                           "AND owner_id IS NULL", c=customer))
