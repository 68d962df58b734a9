"""At-least-once delivery, exactly-once effect."""

import uuid

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from prometheus_client import REGISTRY

from contracts import leads
from kit import clock
from kit.crypto import Vault
from services.analytics.service import AnalyticsService
from services.customers.service import CustomerNotYetCreated, CustomersService
from tests.service.conftest import count, envelope, publish, wait_for


def lead_created(settings, world) -> dict:
    sealed = Vault.from_settings(settings).seal_phone("+8613800138000")
    payload = leads.LeadCreated(
        lead_id=uuid.uuid4(), customer_id=uuid.uuid4(), company_id=world.company,
        project_id=world.project, channel="douyin", sub_source=None, name="张三", phone=sealed,
        duplicate=False, owner_id=uuid.uuid4(), created_at=clock.now())
    return envelope("leads", leads.LEAD_CREATED, payload.model_dump(mode="json"))


def deliveries_of(event: dict, worker_ctx) -> int:
    """How many deliveries of `event` a handler's worker took (a worker takes a batch)."""
    bodies = worker_ctx.args[0] if worker_ctx.args else []
    bodies = bodies if isinstance(bodies, list) else [bodies]
    return sum(1 for body in bodies if body.get("id") == event["id"])


def test_the_same_event_delivered_twice_creates_one_customer(infra, engine, world, start):
    container = start(CustomersService)
    event = lead_created(infra, world)
    seen = []

    def ours(worker_ctx, result, exc_info) -> bool:
        # The queue may still hold earlier tests' events: count only deliveries of ours
        # (both may come in one batch).
        seen.extend([exc_info] * deliveries_of(event, worker_ctx))
        return len(seen) >= 2

    with entrypoint_waiter(container, "on_lead_created", timeout=30, callback=ours):
        publish(infra, "leads", event)
        publish(infra, "leads", event)
    assert seen == [None, None]  # both deliveries handled without error
    customer_id = event["payload"]["customer_id"]
    assert count(engine, "SELECT count(*) FROM customers.customers WHERE id = :id",
                 id=customer_id) == 1
    assert count(engine, "SELECT count(*) FROM customers.outbox WHERE event_type = "
                 "'customer.created' AND envelope->'payload'->>'customer_id' = :id",
                 id=customer_id) == 1


def test_the_same_event_delivered_twice_is_counted_once(infra, engine, world, start):
    # The analytics counter is a bare +1: only the inbox keeps a repeat from counting twice
    # (the customers service's own insert-on-conflict would hide a missing inbox).
    container = start(AnalyticsService)
    event = lead_created(infra, world)
    seen = []

    def ours(worker_ctx, result, exc_info) -> bool:
        # The queue may still hold earlier tests' events: count only deliveries of ours
        # (both may come in one batch).
        seen.extend([exc_info] * deliveries_of(event, worker_ctx))
        return len(seen) >= 2

    with entrypoint_waiter(container, "on_lead_created", timeout=30, callback=ours):
        publish(infra, "leads", event)
        publish(infra, "leads", event)
    assert seen == [None, None]
    assert count(engine, "SELECT coalesce(sum(count), 0) FROM analytics.daily_counts "
                 "WHERE company_id = :company AND metric = 'leads'",
                 company=str(world.company)) == 1


def duplicates_ignored() -> float:
    return REGISTRY.get_sample_value(
        "keyuan_inbox_duplicates_total",
        {"service": "customers", "handler": "on_lead_created"}) or 0.0


def test_two_replicas_racing_on_repeated_deliveries_apply_it_once(infra, engine, world, start):
    start(CustomersService)
    start(CustomersService)
    event = lead_created(infra, world)
    before = duplicates_ignored()
    for _ in range(4):
        publish(infra, "leads", event)
    # Four deliveries: one applied, three recognised and ignored, by whichever replica.
    wait_for(lambda: duplicates_ignored() - before == 3)
    customer_id = event["payload"]["customer_id"]
    assert count(engine, "SELECT count(*) FROM customers.customers WHERE id = :id",
                 id=customer_id) == 1
    assert count(engine, "SELECT count(*) FROM customers.outbox WHERE "
                 "envelope->'payload'->>'customer_id' = :id", id=customer_id) == 1


def test_an_ownership_change_that_overtakes_the_profile_is_applied_once_it_exists(
        infra, engine, world, start):
    container = start(CustomersService)
    created = lead_created(infra, world)
    customer_id = created["payload"]["customer_id"]
    new_owner = str(uuid.uuid4())
    claimed = envelope("leads", leads.CUSTOMER_CLAIMED, leads.OwnershipChanged(
        customer_id=customer_id, company_id=world.company, project_id=world.project,
        owner_id=new_owner, previous_owner_id=None, action="claim", by=new_owner,
        reason=None, at=clock.now(), owner_revision=2).model_dump(mode="json"))
    # Arriving first, the change fails (so the broker redelivers it) and records nothing.
    with entrypoint_hook(container, "on_customer_claimed") as on_claimed, \
            pytest.raises(CustomerNotYetCreated):
        on_claimed(claimed)
    with entrypoint_hook(container, "on_lead_created") as on_created:
        on_created(created)
    # Redelivered once the profile exists, it applies.
    with entrypoint_hook(container, "on_customer_claimed") as on_claimed:
        on_claimed(claimed)
    assert count(engine, "SELECT count(*) FROM customers.customers WHERE id = :c "
                 "AND owner_id = :o", c=customer_id, o=new_owner) == 1
