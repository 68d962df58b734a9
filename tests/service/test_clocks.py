"""Moving the clock through a customer's life: reminders, overdue, escalation, silence,
recycling to the pool, and no double alerts from two replicas."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from contracts import customers
from contracts.actor import Role
from kit import clock
from services.tasks.service import TasksService
from tests.service.conftest import add_users, call, count, new_lead, unique_phone, wait_for
from tests.service.test_sop_engine import deliver, new_customer


@pytest.fixture
def tasks(start, world):
    container = start(TasksService)
    add_users(container, world.user("a"), world.user("mgr", Role.manager),
              world.user("boss", Role.director))
    yield container
    clock.reset()


def alerts(engine, customer, event_type) -> list[list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT envelope->'payload'->'recipients' FROM tasks.outbox WHERE event_type = :t "
            "AND envelope->'payload'->>'customer_id' = :c ORDER BY created_at"),
            {"t": event_type, "c": customer}).scalars().all()
    return [sorted(r) for r in rows]


def test_a_first_call_reminds_goes_overdue_and_climbs_the_chain(tasks, world, engine):
    customer = new_customer(tasks, world)
    a, mgr, boss = (world.users[k]["id"] for k in ("a", "mgr", "boss"))
    clock.advance(timedelta(minutes=11))
    assert wait_for(lambda: alerts(engine, customer, "task.reminder")) == [[a]]
    clock.advance(timedelta(minutes=5))            # 16 min: overdue
    assert wait_for(lambda: alerts(engine, customer, "task.overdue")) == [sorted([a, mgr])]
    # Both hear of it in their in-app inbox.
    for who in ("a", "mgr"):
        inbox = call(tasks, "notifications", world.token(who))["items"]
        assert any(n["kind"] == "task_overdue" for n in inbox), inbox
    clock.advance(timedelta(minutes=15))           # overdue 16 min: first escalation step
    assert wait_for(lambda: alerts(engine, customer, "task.escalated")) == [[mgr]]
    clock.advance(timedelta(hours=24))             # overdue a day: the director
    assert wait_for(lambda: len(alerts(engine, customer, "task.escalated")) == 2)
    assert alerts(engine, customer, "task.escalated")[1] == [boss]


def test_two_replicas_never_alert_twice(tasks, start, world, engine):
    start(TasksService)
    customers = [new_customer(tasks, world) for _ in range(5)]
    clock.advance(timedelta(minutes=16))
    for customer in customers:
        wait_for(lambda c=customer: alerts(engine, c, "task.overdue"))
    clock.advance(timedelta(seconds=3))
    call(tasks, "sweep_task_clocks")
    assert [len(alerts(engine, c, "task.overdue")) for c in customers] == [1] * 5


def test_three_silent_days_warn_the_owner_once(tasks, world, engine):
    customer = new_customer(tasks, world)
    clock.advance(timedelta(days=3, minutes=1))
    call(tasks, "sweep_silent_customers")
    call(tasks, "sweep_silent_customers")
    assert alerts(engine, customer, "customer.silent") == [[world.users["a"]["id"]]]


def test_fifteen_days_without_progress_recycle_to_the_pool_after_a_warning(
        start, world, engine, leads):
    tasks = start(TasksService)
    add_users(tasks, world.user("a"), world.user("mgr", Role.manager))
    add_users(leads, world.users["a"], world.users["mgr"])
    lead = call(leads, "create", world.token("a"), new_lead(world, unique_phone()))
    customer = lead["customer_id"]
    # The customers service would announce the customer; tell the tasks service directly.
    new_customer_fact(tasks, world, customer)
    # The container's own timer sweeps every second too: a sweep it began before the clock
    # moved holds the row (SKIP LOCKED), so the alert may come from its next tick.
    clock.advance(timedelta(days=14, minutes=1))
    call(tasks, "sweep_silent_customers")
    wait_for(lambda: alerts(engine, customer, "customer.recycle_warning"), timeout=20)
    clock.advance(timedelta(days=1))
    call(tasks, "sweep_silent_customers")
    wait_for(lambda: alerts(engine, customer, "customer.recycle_due"), timeout=20)
    wait_for(lambda: count(engine, "SELECT count(*) FROM leads.customer_keys WHERE "
                           "customer_id = :c AND owner_id IS NULL", c=customer), timeout=20)
    assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = :c "
                 "AND action = 'recycle'", c=customer) == 1


def new_customer_fact(container, world, customer_id):
    deliver(container, "on_customer_created", "customers", customers.CUSTOMER_CREATED,
            customers.CustomerCreated(customer_id=uuid.UUID(customer_id), company_id=world.company,
                               project_id=world.project, owner_id=world.users["a"]["id"],
                               lead_id=uuid.uuid4(), channel="douyin", stage="new",
                               created_at=clock.now()))


def test_a_customer_under_a_channels_deal_protection_is_not_recycled(start, world, engine,
                                                                    leads):
    tasks = start(TasksService)
    add_users(tasks, world.user("a"), world.user("mgr", Role.manager))
    add_users(leads, world.users["a"], world.users["mgr"],
              world.user("agent", Role.channel_agent))
    phone = unique_phone()
    call(leads, "register", world.token("agent"),
         {"name": "周女士", "phone": phone, "project_id": str(world.project)})
    lead = call(leads, "create", world.token("a"), new_lead(world, phone, channel="walk_in"))
    new_customer_fact(tasks, world, lead["customer_id"])
    clock.advance(timedelta(days=15, minutes=1))
    call(tasks, "sweep_silent_customers")
    wait_for(lambda: count(engine, "SELECT count(*) FROM leads.pool_actions WHERE "
                           "customer_id = :c AND action = 'recycle_kept'",
                           c=lead["customer_id"]), timeout=20)
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE customer_id = :c "
                 "AND owner_id = :o", c=lead["customer_id"], o=world.users["a"]["id"]) == 1
