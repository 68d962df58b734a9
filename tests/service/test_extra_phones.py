"""A customer's extra phones (customers' customer.phone_added / phone_removed) dedupe in the
leads service like the customer's own phone: intake, imports, 报备 and 判客, erasure, merges."""

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from contracts import customers
from contracts.actor import Role
from contracts.errors import Conflict
from kit import clock, phones
from kit.crypto import Vault
from services.leads import store
from tests.service.conftest import (
    add_users,
    count,
    envelope,
    new_lead,
    publish,
    unique_phone,
    wait_for,
)
from tests.service.test_imports import finished, upload, workbook


@pytest.fixture
def desk(leads, world):
    add_users(leads, world.user("a"), world.user("b"), world.user("mgr", Role.manager),
              world.user("admin", Role.admin), world.user("agent1", Role.channel_agent),
              world.user("agent2", Role.channel_agent))
    yield leads
    clock.reset()


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def lead(container, world, who, phone, **extra) -> dict:
    return call(container, "create", world.token(who), new_lead(world, phone, **extra))


def phone_added(world, customer_id, phone, phone_id=None) -> dict:
    sealed = Vault.from_settings(world.settings).seal_phone(phones.normalise(phone))
    return envelope(customers.SERVICE, customers.CUSTOMER_PHONE_ADDED, customers.PhoneAdded(
        phone_id=phone_id or uuid.uuid4(), customer_id=customer_id, company_id=world.company,
        phone=sealed, at=clock.now()).model_dump(mode="json"))


def phone_removed(world, added: dict) -> dict:
    fact = added["payload"]
    return envelope(customers.SERVICE, customers.CUSTOMER_PHONE_REMOVED, {
        "phone_id": fact["phone_id"], "customer_id": fact["customer_id"],
        "company_id": fact["company_id"], "phone_index": fact["phone"]["index"],
        "at": clock.now().isoformat()})


def deliver(container, handler, env: dict) -> None:
    with entrypoint_hook(container, handler) as handle:
        handle(env)


def add_phone(container, world, customer_id, phone) -> dict:
    env = phone_added(world, customer_id, phone)
    deliver(container, "on_phone_added", env)
    return env


def spaced(phone: str) -> str:
    return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"


def test_a_lead_with_an_extra_phone_is_the_customers_duplicate_and_keeps_the_owner(
        desk, world, engine):
    first = lead(desk, world, "a", unique_phone())
    spouse = unique_phone()
    add_phone(desk, world, first["customer_id"], spouse)

    # b entering a new customer would keep it; this one is a's.
    again = lead(desk, world, "b", spaced(spouse), channel="beike")
    assert again["status"] == "duplicate"
    assert again["customer_id"] == first["customer_id"]
    assert again["owner_id"] == world.users["a"]["id"]
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE company_id = :c",
                 c=world.company) == 1
    # Announced like any duplicate: lead.created names the customer, no new assignment.
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = 'lead.created'"
                 " AND envelope->'payload'->>'lead_id' = :l"
                 " AND envelope->'payload'->>'customer_id' = :c"
                 " AND (envelope->'payload'->>'duplicate')::boolean",
                 l=again["lead_id"], c=first["customer_id"]) == 1
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = 'lead.assigned'"
                 " AND envelope->'payload'->>'customer_id' = :c", c=first["customer_id"]) == 1
    history = call(desk, "arrivals", world.token("mgr"), first["customer_id"])["items"]
    assert [h["status"] for h in history] == ["created", "duplicate"]


def test_an_extra_phone_announced_on_the_broker_dedupes(desk, world, engine):
    first = lead(desk, world, "a", unique_phone())
    spouse = unique_phone()
    env = phone_added(world, first["customer_id"], spouse)
    publish(world.settings, customers.SERVICE, env)
    wait_for(lambda: count(engine, "SELECT count(*) FROM leads.inbox WHERE event_id = :e "
                           "AND handler = 'on_phone_added'", e=env["id"]) == 1)
    again = lead(desk, world, "b", spouse)
    assert (again["status"], again["customer_id"]) == ("duplicate", first["customer_id"])


def test_a_removed_phone_makes_a_new_customer_and_only_that_phone_goes(desk, world):
    first = lead(desk, world, "a", unique_phone())
    spouse, work = unique_phone(), unique_phone()
    added = add_phone(desk, world, first["customer_id"], spouse)
    add_phone(desk, world, first["customer_id"], work)
    deliver(desk, "on_phone_removed", phone_removed(world, added))

    fresh = lead(desk, world, "b", spouse)
    assert fresh["status"] == "created"
    assert fresh["customer_id"] != first["customer_id"]
    assert fresh["owner_id"] == world.users["b"]["id"]
    kept = lead(desk, world, "b", work)
    assert (kept["status"], kept["customer_id"]) == ("duplicate", first["customer_id"])


def test_a_removal_that_overtakes_its_addition_keeps_the_phone_removed(desk, world):
    """Added and at once removed: the two events travel on two queues, and the removal may
    arrive first. The late addition must not bring the phone back."""
    first = lead(desk, world, "a", unique_phone())
    mistyped = unique_phone()
    added = phone_added(world, first["customer_id"], mistyped)
    deliver(desk, "on_phone_removed", phone_removed(world, added))
    deliver(desk, "on_phone_added", added)
    fresh = lead(desk, world, "b", mistyped)
    assert fresh["status"] == "created" and fresh["customer_id"] != first["customer_id"]


def test_the_same_phone_announced_twice_is_one_alias(desk, world, engine):
    first = lead(desk, world, "a", unique_phone())
    spouse = unique_phone()
    env = add_phone(desk, world, first["customer_id"], spouse)
    deliver(desk, "on_phone_added", env)                               # redelivered
    again = phone_added(world, first["customer_id"], spouse, env["payload"]["phone_id"])
    deliver(desk, "on_phone_added", again)                             # published again
    assert count(engine, "SELECT count(*) FROM leads.phone_aliases WHERE company_id = :c",
                 c=world.company) == 1
    assert lead(desk, world, "b", spouse)["customer_id"] == first["customer_id"]
    # A removal delivered twice is as harmless.
    removed = phone_removed(world, env)
    deliver(desk, "on_phone_removed", removed)
    deliver(desk, "on_phone_removed", removed)
    assert lead(desk, world, "b", spouse)["status"] == "created"


def test_another_customers_own_phone_does_not_become_an_extra_phone(desk, world):
    mine = lead(desk, world, "a", unique_phone())
    theirs_phone = unique_phone()
    theirs = lead(desk, world, "b", theirs_phone)
    add_phone(desk, world, mine["customer_id"], theirs_phone)
    again = lead(desk, world, "mgr", theirs_phone)
    assert (again["customer_id"], again["owner_id"]) == (theirs["customer_id"],
                                                         world.users["b"]["id"])


def test_an_import_row_with_an_extra_phone_merges_into_the_customer(desk, world):
    first = lead(desk, world, "a", unique_phone())
    spouse, new = unique_phone(), unique_phone()
    add_phone(desk, world, first["customer_id"], spouse)
    mgr = world.token("mgr")
    job = call(desk, "start_import", mgr, upload(world, workbook([
        ["周太太", spaced(spouse), "贝壳", "", "", "", ""],
        ["新客户", new, "贝壳", "", "", "", ""]])))["job_id"]
    assert finished(desk, mgr, job)["status"] == "done"
    rows = {r["row"]: r for r in call(desk, "import_report", mgr, job, {})["rows"]}
    assert rows[2]["outcome"] == "merged"
    assert rows[2]["customer_id"] == first["customer_id"]
    assert rows[3]["outcome"] == "created"


def test_an_extra_phone_added_while_a_batch_is_stored_still_merges(desk, world, engine,
                                                                   monkeypatch):
    """The batch looked its phones up before the phone was announced: it must not create a
    second customer for it."""
    first = lead(desk, world, "a", unique_phone())
    spouse = unique_phone()
    looked_up = store.phone_customers
    announced = []

    def then_announced(session, company_id, indexes):
        found = looked_up(session, company_id, indexes)
        if not announced:
            # Announced over RabbitMQ as the customers service does, and handled by the
            # container meanwhile. (Not an entrypoint_hook: nameko's hooks patch the
            # container, and one ending inside another's wait unhooks the outer one.)
            announced.append(phone_added(world, first["customer_id"], spouse))
            publish(world.settings, customers.SERVICE, announced[0])
            wait_for(lambda: count(engine, "SELECT count(*) FROM leads.phone_aliases "
                                   "WHERE customer_id = :c", c=first["customer_id"]))
        return found

    monkeypatch.setattr(store, "phone_customers", then_announced)
    mgr = world.token("mgr")
    job = call(desk, "start_import", mgr, upload(world, workbook([
        ["周太太", spouse, "贝壳", "", "", "", ""]])))["job_id"]
    assert finished(desk, mgr, job)["status"] == "done"
    [row] = call(desk, "import_report", mgr, job, {})["rows"]
    assert (row["outcome"], row["customer_id"]) == ("merged", first["customer_id"])
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE company_id = :c",
                 c=world.company) == 1


def register(container, world, who, phone):
    return call(container, "register", world.token(who), {
        "name": "周女士", "phone": phone, "project_id": str(world.project), "agency": "链家"})


def test_an_owned_customers_extra_phone_cannot_be_registered(desk, world):
    first = lead(desk, world, "a", unique_phone())
    spouse = unique_phone()
    add_phone(desk, world, first["customer_id"], spouse)
    with pytest.raises(Conflict, match="already a customer"):
        register(desk, world, "agent1", spaced(spouse))


def test_a_registration_on_an_extra_phone_protects_the_customer(leads, world):
    # Nobody on duty: the customer goes to the pool, where it may be registered.
    add_users(leads, world.user("mgr", Role.manager), world.user("agent1", Role.channel_agent),
              world.user("agent2", Role.channel_agent))
    container = leads
    own = unique_phone()
    pooled = lead(container, world, "mgr", own)
    assert pooled["owner_id"] is None
    spouse = unique_phone()
    add_phone(container, world, pooled["customer_id"], spouse)

    reg = register(container, world, "agent1", spouse)
    # The customer's own phone is the same person: a second agent is refused...
    with pytest.raises(Conflict) as refused:
        register(container, world, "agent2", own)
    assert refused.value.details["holder_agent_id"] == world.users["agent1"]["id"]
    # ...and their walk-in with their own phone is attributed to the registering agent.
    walk_in = lead(container, world, "mgr", own, channel="walk_in")
    assert walk_in["customer_id"] == pooled["customer_id"]
    [decision] = call(container, "rulings", world.token("mgr"),
                      pooled["customer_id"])["items"]
    assert decision["registration_id"] == reg["id"]
    assert decision["attributed_to"] == world.users["agent1"]["id"]


def test_an_erasure_removes_the_extra_phones_and_the_export_lists_them_masked(desk, world,
                                                                              engine):
    own = unique_phone()
    first = lead(desk, world, "a", own)
    spouse = unique_phone()
    add_phone(desk, world, first["customer_id"], spouse)

    admin = world.token("admin")
    export = call(desk, "person_data", admin, {"customer_ids": [first["customer_id"]]})
    [listed] = export["records"]["phones"]
    assert listed["customer_id"] == first["customer_id"]
    assert listed["phone"] == phones.mask(phones.normalise(spouse))
    assert spouse not in str(export["records"]["phones"])

    vault = Vault.from_settings(world.settings)
    deliver(desk, "on_person_erased", envelope(
        customers.SERVICE, customers.PERSON_ERASED, customers.PersonErased(
            request_id=uuid.uuid4(), company_id=world.company,
            customer_ids=[first["customer_id"]],
            phone_indexes=[vault.seal_phone(phones.normalise(own)).index],
            at=clock.now()).model_dump(mode="json")))
    assert count(engine, "SELECT count(*) FROM leads.phone_aliases WHERE company_id = :c",
                 c=world.company) == 0
    back = lead(desk, world, "b", spouse)
    assert back["status"] == "created" and back["customer_id"] != first["customer_id"]


def test_an_erasure_by_the_extra_phone_alone_finds_the_customer(desk, world, engine):
    first = lead(desk, world, "a", unique_phone())
    spouse = unique_phone()
    add_phone(desk, world, first["customer_id"], spouse)
    index = Vault.from_settings(world.settings).seal_phone(phones.normalise(spouse)).index
    deliver(desk, "on_person_erased", envelope(
        customers.SERVICE, customers.PERSON_ERASED, customers.PersonErased(
            request_id=uuid.uuid4(), company_id=world.company, customer_ids=[],
            phone_indexes=[index], at=clock.now()).model_dump(mode="json")))
    assert count(engine, "SELECT count(*) FROM leads.phone_aliases WHERE company_id = :c",
                 c=world.company) == 0
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE company_id = :c",
                 c=world.company) == 0


def test_a_merged_customers_extra_phone_leads_to_the_survivor(desk, world):
    survivor = lead(desk, world, "a", unique_phone())
    merged = lead(desk, world, "b", unique_phone())
    spouse = unique_phone()
    add_phone(desk, world, merged["customer_id"], spouse)
    deliver(desk, "on_customer_merged", envelope(
        customers.SERVICE, customers.CUSTOMER_MERGED, customers.CustomerMerged(
            merge_id=uuid.uuid4(), company_id=world.company,
            survivor_id=survivor["customer_id"], merged_id=merged["customer_id"],
            survivor_owner_id=world.users["a"]["id"], survivor_project_id=world.project,
            actor_id=world.users["mgr"]["id"], at=clock.now()).model_dump(mode="json")))
    again = lead(desk, world, "mgr", spouse)
    assert (again["status"], again["customer_id"], again["owner_id"]) == (
        "duplicate", survivor["customer_id"], world.users["a"]["id"])
