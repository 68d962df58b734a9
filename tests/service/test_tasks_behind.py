"""Who is behind (GET /api/tasks/behind): each owner's open and overdue tasks across the
whole team, in the caller's scope only, and the task list filtered to one owner's overdue."""

import uuid
from datetime import timedelta

from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from contracts import customers
from contracts.actor import Role
from kit import clock
from services.tasks.service import TasksService
from tests.service.conftest import add_users, envelope


def give_customer(container, world, owner: str) -> str:
    fact = customers.CustomerCreated(
        customer_id=uuid.uuid4(), company_id=world.company, project_id=world.project,
        owner_id=world.users[owner]["id"], lead_id=uuid.uuid4(), channel="douyin",
        stage="new", created_at=clock.now())
    with entrypoint_hook(container, "on_customer_created") as handle:
        handle(envelope("customers", customers.CUSTOMER_CREATED, fact.model_dump(mode="json")))
    return str(fact.customer_id)


def test_the_manager_sees_who_is_behind_across_the_team_and_only_the_team(start, world,
                                                                            engine):
    container = start(TasksService)
    add_users(container, world.user("a"), world.user("b"), world.user("mgr", Role.manager),
              world.user("c", team=world.other_team))
    late = [give_customer(container, world, "a") for _ in range(2)]
    give_customer(container, world, "b")
    other_team = give_customer(container, world, "c")
    long_ago = clock.now() - timedelta(days=2)
    with engine.begin() as db:       # a's two customers' first calls, and c's, are overdue
        db.execute(text("UPDATE tasks.tasks SET due_at = :at WHERE kind = 'first_contact' "
                        "AND customer_id = ANY(:ids)"), {"at": long_ago,
                                                          "ids": [*late, other_team]})
    with entrypoint_hook(container, "list") as list_tasks:
        per_customer = len(list_tasks(world.token("b"))["items"])
    with entrypoint_hook(container, "behind") as behind:
        loads = behind(world.token("mgr"))["items"]
    a, b = world.users["a"]["id"], world.users["b"]["id"]
    assert [x["owner_id"] for x in loads] == [a, b]                 # most overdue first
    assert (loads[0]["open"], loads[0]["overdue"]) == (2 * per_customer, 2)
    assert (loads[1]["open"], loads[1]["overdue"]) == (per_customer, 0)
    assert loads[0]["oldest_due_at"] and loads[1]["oldest_due_at"] is None
    with entrypoint_hook(container, "behind") as behind:
        assert [x["owner_id"] for x in behind(world.token("b"))["items"]] == [b]   # own only

    with entrypoint_hook(container, "list") as list_tasks:
        overdue = list_tasks(world.token("mgr"), {"owner_id": a, "overdue": True})["items"]
        on_time = list_tasks(world.token("mgr"), {"owner_id": a, "overdue": False})["items"]
        theirs = list_tasks(world.token("mgr"), {"owner_id": world.users["c"]["id"]})["items"]
    assert sorted(t["customer_id"] for t in overdue) == sorted(late)
    assert all(t["overdue"] for t in overdue) and not any(t["overdue"] for t in on_time)
    assert len(on_time) == 2 * per_customer - 2
    assert theirs == []                                              # another team's: none
