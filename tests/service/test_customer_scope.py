"""Scope on every customer and task RPC: a consultant their own, a manager their team's."""

import uuid
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from contracts import customers
from contracts.actor import Role
from contracts.errors import Forbidden, NotFound
from kit import clock
from services.customers.service import CustomersService
from services.tasks.service import TasksService
from tests.service.conftest import add_customer, add_users, count, envelope


@pytest.fixture
def team(start, world, infra):
    facts = [world.user("a"), world.user("b"), world.user("mgr", Role.manager),
             world.user("c", team=world.other_team),
             world.user("mgr2", Role.manager, team=world.other_team),
             world.user("boss", Role.director, scopes=("pii:reveal",))]
    container = start(CustomersService)
    add_users(container, *facts)
    ids = {who: add_customer(container, infra, world, who, phone) for who, phone in
           (("a", "+8613811110001"), ("b", "+8613811110002"), ("c", "+8613811110003"))}
    return container, ids


def listed(container, token) -> set[str]:
    with entrypoint_hook(container, "list") as list_customers:
        return {c["id"] for c in list_customers(token, {"page_size": 200})["items"]}


def test_each_role_lists_exactly_its_scope(team, world):
    container, ids = team
    assert listed(container, world.token("a")) == {ids["a"]}
    assert listed(container, world.token("mgr")) == {ids["a"], ids["b"]}
    assert listed(container, world.token("mgr2")) == {ids["c"]}
    assert listed(container, world.token("boss")) == set(ids.values())


def test_a_consultant_cannot_open_a_colleagues_customer(team, world):
    container, ids = team
    with entrypoint_hook(container, "get") as get:
        assert get(world.token("a"), ids["a"])["phone"] == "13811110001"
        for other in (ids["b"], ids["c"], str(uuid.uuid4())):
            with pytest.raises(NotFound):
                get(world.token("a"), other)
        with pytest.raises(NotFound):
            get(world.token("mgr"), ids["c"])
        assert get(world.token("mgr"), ids["b"])["phone"] == "138****0002"


def test_revealing_a_phone_needs_the_scope_and_is_audited(team, world, engine):
    container, ids = team
    with entrypoint_hook(container, "reveal_phone") as reveal:
        with pytest.raises(Forbidden):
            reveal(world.token("mgr"), ids["b"], "回访")
        shown = reveal(world.token("boss"), ids["b"], "投诉核实")
    assert shown["phone"] == "13811110002"
    assert count(engine, "SELECT count(*) FROM customers.pii_audit WHERE customer_id = :c "
                 "AND actor_id = :a AND reason = '投诉核实'", c=ids["b"],
                 a=world.users["boss"]["id"]) == 1


def test_tasks_follow_the_same_scope(start, world, infra):
    container = start(TasksService)
    add_users(container, world.user("a"), world.user("b"), world.user("mgr", Role.manager))
    for owner in ("a", "b"):
        fact = customers.CustomerCreated(
            customer_id=uuid.uuid4(), company_id=world.company, project_id=world.project,
            owner_id=world.users[owner]["id"], lead_id=uuid.uuid4(), channel="douyin",
            stage="new", created_at=clock.now())
        with entrypoint_hook(container, "on_customer_created") as handle:
            handle(envelope("customers", customers.CUSTOMER_CREATED,
                            fact.model_dump(mode="json")))
    with entrypoint_hook(container, "list") as list_tasks:
        mine = list_tasks(world.token("a"))["items"]
        teams = list_tasks(world.token("mgr"))["items"]
    assert mine and {t["owner_id"] for t in mine} == {world.users["a"]["id"]}
    assert {t["owner_id"] for t in teams} == {world.users["a"]["id"], world.users["b"]["id"]}
    assert len(teams) == 2 * len(mine)  # each new customer gets the same SOP tasks
    with entrypoint_hook(container, "complete") as complete, pytest.raises(NotFound):
        complete(world.token("b"), mine[0]["id"], {})


def _customer_rpcs():
    """Every customers RPC that names one customer: (token, customer_id, ...)."""
    import inspect

    from nameko.rpc import Rpc

    for name, method in inspect.getmembers(CustomersService, inspect.isfunction):
        entrypoints = getattr(method, "nameko_entrypoints", set())
        params = list(inspect.signature(method).parameters)
        if any(isinstance(e, Rpc) for e in entrypoints) and params[1:3] == ["token",
                                                                            "customer_id"]:
            yield name, len(params) - 3


def test_no_rpc_naming_a_customer_opens_a_colleagues(team, world):
    """Through every RPC that takes a customer id, consultant a gets 404 for b's customer,
    whatever else is sent, and b's customer is unchanged."""
    container, ids = team
    before = _one(container, world.token("b"), ids["b"])
    checked = []
    for name, extra in _customer_rpcs():
        with entrypoint_hook(container, name) as rpc, pytest.raises(NotFound):
            rpc(world.token("a"), ids["b"], *([{}] * extra))
        checked.append(name)
    assert {"get", "update", "change_stage", "log_followup", "followups", "reveal_phone",
            "history", "record_consent", "set_marketing_opt_out"} <= set(checked)
    assert _one(container, world.token("b"), ids["b"]) == before


def _one(container, token, customer_id):
    with entrypoint_hook(container, "get") as get:
        return get(token, customer_id)


def test_the_team_list_pages_through_each_order_without_gaps(team, world, infra, engine):
    """The page's ids are sorted first and their rows read after: every order the desk asks
    for (newest first, longest silent first, least complete first) comes back whole, page
    after page, and a filter holds on every page."""
    container, ids = team
    mine = [ids["a"], ids["b"], *(add_customer(container, infra, world, who, f"+86138222{n:05d}")
                                  for n, who in enumerate("ababa"))]
    now = clock.now()
    facts = {}
    with engine.begin() as conn:
        for n, customer_id in enumerate(mine):
            facts[customer_id] = {"created": now - timedelta(days=10 + n),
                                  "followed": None if n % 2 else now - timedelta(days=30 - n),
                                  "score": (n * 37) % 100, "grade": "AB"[n % 3 == 0]}
            conn.execute(text(
                "UPDATE customers.customers SET created_at = :created, "
                "last_followup_at = :followed, completeness = :score, grade = :grade "
                "WHERE id = :id"), {**facts[customer_id], "id": customer_id})

    def pages(query: dict) -> list[str]:
        seen = []
        with entrypoint_hook(container, "list") as list_customers:
            for page in (1, 2, 3):
                found = list_customers(world.token("mgr"), {**query, "page": page,
                                                            "page_size": 3})
                assert found["total"] == len([c for c in mine if query.get("grade") in
                                              (None, facts[c]["grade"])])
                seen += [c["id"] for c in found["items"]]
        return seen

    def newest(c):
        return -facts[c]["created"].timestamp()

    assert pages({}) == sorted(mine, key=newest)
    assert pages({"silent_days": 1}) == sorted(mine, key=lambda c: (
        facts[c]["followed"] or facts[c]["created"], newest(c)))
    assert pages({"completeness_below": 101}) == sorted(
        mine, key=lambda c: (facts[c]["score"], newest(c)))
    assert pages({"grade": "A"}) == sorted([c for c in mine if facts[c]["grade"] == "A"],
                                           key=newest)
