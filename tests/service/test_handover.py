"""A departure's handover (离职交接) in the leads service: the plan made when user.offboarded
arrives, the batches that move it, skips, re-plans, late customers, redelivery, progress;
what any deactivation ends (offers, the walk-in rotation); bulk reassignment (批量转移)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import entrypoint_hook, restrict_entrypoints
from sqlalchemy import text
from sqlalchemy.orm import Session

from contracts import directory
from contracts import handover as h
from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from kit import clock
from services.leads import handover as handover_module
from services.leads.handover_entrypoints import Handovers
from services.leads.service import LeadsService
from tests.service.conftest import (
    add_users,
    call,
    count,
    envelope,
    new_lead,
    purge_event_queues,
    unique_phone,
    wait_for,
)

REASON = h.HANDOVER_REASON


@pytest.fixture
def people(world):
    """x leaves; a and b are x's team in the project; far is another team of the project;
    mgr manages x's team; boss directs the project; other works in another project."""
    return [world.user("x"), world.user("a"), world.user("b"),
            world.user("far", team=world.other_team),
            world.user("mgr", Role.manager), world.user("boss", Role.director),
            world.user("other", team=world.other_team, projects=[world.other_project])]


def start_leads(infra, container_factory, world, people, moving: bool = True):
    """A leads replica; `moving=False` leaves out the timer that moves handovers, so a test
    can see (and change) what was planned before anything moves."""
    if not moving:
        purge_event_queues(infra, "leads")
    container = container_factory(LeadsService, infra.nameko_config("leads")
                                  | {"KEYUAN_SETTINGS": infra})
    if not moving:
        restrict_entrypoints(container, *{e.method_name for e in container.entrypoints
                                          if e.method_name != "move_handovers"})
    container.start()
    with entrypoint_hook(container, "on_project_upserted") as project:
        project(envelope("directory", directory.PROJECT_UPSERTED, world.project_fact()))
        project(envelope("directory", directory.PROJECT_UPSERTED,
                         world.project_fact(world.other_project, "上海")))
    add_users(container, *people)
    return container


@pytest.fixture
def planner(infra, container_factory, world, people):
    return start_leads(infra, container_factory, world, people, moving=False)


@pytest.fixture
def mover(infra, container_factory, world, people):
    """Starts a replica that moves (call it when the test is ready)."""
    return lambda: start_leads(infra, container_factory, world, people)


def customers_of(leads, world, who: str, n: int, project=None) -> list[str]:
    """n customers `who` entered themself (a consultant keeps their own lead)."""
    made = []
    for _ in range(n):
        lead = new_lead(world, unique_phone(), channel="walk_in")
        if project is not None:
            lead["project_id"] = str(project)
        made.append(call(leads, "create", world.token(who), lead)["customer_id"])
    return made


def offboarded(world, leaver="x", plan=None, by="mgr", offboarding_id=None) -> dict:
    fact = h.UserOffboarded(
        offboarding_id=offboarding_id or uuid.uuid4(), company_id=world.company,
        user_id=world.users[leaver]["id"], team_id=world.users[leaver]["team_id"],
        plan=h.HandoverPlan.model_validate(plan or {"mode": "round_robin"}),
        by=world.users[by]["id"], at=clock.now())
    return envelope("directory", h.USER_OFFBOARDED, fact.model_dump(mode="json"))


def deliver(container, handler: str, env: dict) -> None:
    with entrypoint_hook(container, handler) as handle:
        handle(env)


def deactivate(container, world, who: str) -> None:
    """user.upserted with active=false, to both of the leads service's handlers of it."""
    fact = envelope("directory", directory.USER_UPSERTED,
                    dict(world.users[who], active=False, revision=2))
    deliver(container, "on_user_upserted", fact)
    deliver(container, "on_user_deactivated", fact)


def owners(engine, customers) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT customer_id::text, owner_id::text FROM "
                                 "leads.customer_keys WHERE customer_id = ANY(:ids)"),
                            {"ids": [uuid.UUID(c) for c in customers]})
        return dict(rows.all())


def done(engine, handover_id) -> bool:
    return count(engine, "SELECT count(*) FROM leads.handovers WHERE id = :h AND "
                 "status = 'done'", h=handover_id) == 1


def reports(engine, handover_id) -> list[dict]:
    with engine.connect() as conn:
        return [r[0]["payload"] for r in conn.execute(text(
            "SELECT envelope FROM leads.outbox WHERE event_type = 'handover.progress' "
            "AND envelope->'payload'->>'handover_id' = :h ORDER BY created_at"),
            {"h": str(handover_id)})]


def moves(engine, customer: str) -> int:
    """How many times the customer changed hands by a handover, counted twice over: in the
    pool history and in the customers.handed_over facts published."""
    actions = count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = :c "
                    "AND action IN ('handover', 'reassign')", c=customer)
    announced = count(engine, "SELECT count(*) FROM leads.outbox o, jsonb_array_elements("
                      "o.envelope->'payload'->'moves') m WHERE o.event_type = "
                      "'customers.handed_over' AND m->>'customer_id' = :c", c=customer)
    assert actions == announced
    return actions


def test_round_robin_spreads_every_customer_over_the_team_once(planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 6)
    elsewhere = customers_of(planner, world, "other", 1, project=world.other_project)
    env = offboarded(world)
    deliver(planner, "on_user_offboarded", env)
    deactivate(planner, world, "x")
    handover_id = env["payload"]["offboarding_id"]
    # Planned when the event came, before anything moved: a and b in turn, sorted by id.
    with engine.connect() as conn:
        planned = dict(conn.execute(text(
            "SELECT customer_id::text, planned_owner_id::text FROM leads.handover_items "
            "WHERE handover_id = :h ORDER BY ordinal"), {"h": handover_id}).all())
    team = sorted([world.users["a"]["id"], world.users["b"]["id"]])
    assert list(planned) == sorted(mine)
    assert list(planned.values()) == [team[i % 2] for i in range(6)]

    mover()
    wait_for(lambda: done(engine, handover_id), timeout=60)
    assert owners(engine, mine) == planned
    assert owners(engine, elsewhere) == {elsewhere[0]: world.users["other"]["id"]}
    assert all(moves(engine, c) == 1 for c in mine)
    assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = ANY("
                 ":ids) AND reason = :r AND actor_id = :by", ids=[uuid.UUID(c) for c in mine],
                 r=REASON, by=world.users["mgr"]["id"]) == 6
    last = reports(engine, handover_id)[-1]
    assert last["done"] and last["moved"] == last["total"] == 6
    [project] = last["projects"]
    assert project["owners"] == {team[0]: 3, team[1]: 3} and project["mode"] == "round_robin"


def test_moves_go_in_bounded_batches_each_reported(planner, mover, world, engine,
                                                   monkeypatch):
    monkeypatch.setattr(handover_module, "BATCH", 2)
    customers_of(planner, world, "x", 5)
    env = offboarded(world, plan={"mode": "colleague", "to_user_id": world.users["a"]["id"]})
    deliver(planner, "on_user_offboarded", env)
    deactivate(planner, world, "x")
    mover()
    handover_id = env["payload"]["offboarding_id"]
    wait_for(lambda: done(engine, handover_id), timeout=60)
    assert [(r["moved"], r["total"], r["done"]) for r in reports(engine, handover_id)] == [
        (0, 5, False), (2, 5, False), (4, 5, False), (5, 5, False), (5, 5, True)]


def test_a_customer_whose_owner_changed_meanwhile_is_skipped(planner, mover, world, engine):
    kept, released = customers_of(planner, world, "x", 2)
    env = offboarded(world, plan={"mode": "colleague", "to_user_id": world.users["a"]["id"]})
    deliver(planner, "on_user_offboarded", env)
    deactivate(planner, world, "x")
    call(planner, "release", world.token("mgr"), released, {"reason": "客户已失联"})
    mover()
    handover_id = env["payload"]["offboarding_id"]
    wait_for(lambda: done(engine, handover_id), timeout=60)
    assert owners(engine, [kept, released]) == {kept: world.users["a"]["id"], released: None}
    assert moves(engine, released) == 0
    with engine.connect() as conn:
        status, note = conn.execute(text(
            "SELECT status, note FROM leads.handover_items WHERE customer_id = :c"),
            {"c": released}).one()
    assert status == "skipped" and "no longer owned" in note
    last = reports(engine, handover_id)[-1]
    assert (last["moved"], last["skipped"], last["total"]) == (1, 1, 2)


def test_a_planned_colleague_who_left_meanwhile_is_replanned_and_why_is_kept(
        planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 3)
    env = offboarded(world, plan={"mode": "colleague", "to_user_id": world.users["a"]["id"]})
    deliver(planner, "on_user_offboarded", env)
    deactivate(planner, world, "x")
    deactivate(planner, world, "a")
    mover()
    wait_for(lambda: done(engine, env["payload"]["offboarding_id"]), timeout=60)
    assert set(owners(engine, mine).values()) == {world.users["b"]["id"]}
    with engine.connect() as conn:
        notes = conn.execute(text("SELECT note FROM leads.handover_items WHERE "
                                  "handover_id = :h AND replanned"),
                             {"h": env["payload"]["offboarding_id"]}).scalars().all()
    assert len(notes) == 3 and all(world.users["a"]["id"] in n and "no longer an active"
                                   in n for n in notes)


def test_nobody_left_in_the_team_sends_customers_to_the_pool_with_the_reason(
        planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 2)
    deactivate(planner, world, "a")
    deactivate(planner, world, "b")
    env = offboarded(world)
    deliver(planner, "on_user_offboarded", env)
    deactivate(planner, world, "x")
    mover()
    wait_for(lambda: done(engine, env["payload"]["offboarding_id"]), timeout=60)
    assert owners(engine, mine) == {c: None for c in mine}
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE customer_id = ANY("
                 ":ids) AND release_reason = :r", ids=[uuid.UUID(c) for c in mine],
                 r=REASON) == 2
    pool = call(planner, "pool", world.token("far"))["items"]
    assert set(mine) <= {p["customer_id"] for p in pool}


def test_user_offboarded_again_plans_and_moves_nothing_twice(planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 4)
    env = offboarded(world)
    deliver(planner, "on_user_offboarded", env)
    deliver(planner, "on_user_offboarded", env)                    # redelivered
    again = offboarded(world, offboarding_id=env["payload"]["offboarding_id"])
    deliver(planner, "on_user_offboarded", again)                  # republished
    deactivate(planner, world, "x")
    mover()
    handover_id = env["payload"]["offboarding_id"]
    wait_for(lambda: done(engine, handover_id), timeout=60)
    assert count(engine, "SELECT count(*) FROM leads.handover_items WHERE handover_id = :h",
                 h=handover_id) == 4
    assert all(moves(engine, c) == 1 for c in mine)


def tick(engine) -> None:
    """What the leads service's timer does once, run here so the test says when."""
    with Session(engine) as session:
        Handovers.move_handovers(SimpleNamespace(db=session))


def test_customers_arriving_meanwhile_are_picked_up_once_the_leaver_is_inactive(
        planner, world, engine):
    first = customers_of(planner, world, "x", 2)
    pooled = customers_of(planner, world, "b", 1)[0]
    call(planner, "release", world.token("b"), pooled, {"reason": "暂无意向"})
    env = offboarded(world, plan={"mode": "colleague", "to_user_id": world.users["a"]["id"]})
    deliver(planner, "on_user_offboarded", env)
    # x is still active in this copy (its deactivation is on its way): a manager hands x one
    call(planner, "assign_from_pool", world.token("mgr"), pooled,
         {"owner_id": world.users["x"]["id"]})
    handover_id = env["payload"]["offboarding_id"]
    tick(engine)
    tick(engine)
    assert set(owners(engine, first).values()) == {world.users["a"]["id"]}
    assert owners(engine, [pooled]) == {pooled: world.users["x"]["id"]}
    assert not done(engine, handover_id)    # waits for the deactivation to arrive
    deactivate(planner, world, "x")
    tick(engine)                            # picks the late one up
    tick(engine)                            # moves it
    tick(engine)                            # done
    assert done(engine, handover_id)
    assert owners(engine, [pooled]) == {pooled: world.users["a"]["id"]}
    assert reports(engine, handover_id)[-1]["total"] == 3
    assert moves(engine, pooled) == 1


def test_a_deactivated_consultant_is_withdrawn_from_offers_and_the_rotation(
        planner, world, engine):
    call(planner, "update_project_settings", world.token("boss"), str(world.project),
         {"assignment": {"strategy": "grab", "grab_window_minutes": 30}})
    shared = call(planner, "create", world.token("boss"), new_lead(world, unique_phone()))
    add_users(planner, *(dict(world.users[who], on_duty=False, revision=2)
                         for who in ("a", "b", "far")))
    only_x = call(planner, "create", world.token("boss"), new_lead(world, unique_phone()))
    for who in ("x", "a"):
        call(planner, "reception_join", world.token(who), str(world.project))
    assert len(call(planner, "offers", world.token("x"))["items"]) == 2

    deactivate(planner, world, "x")
    with pytest.raises(Unauthenticated):  # a leaver's token lists nothing any more
        call(planner, "offers", world.token("x"))
    with engine.connect() as conn:
        candidates = dict(conn.execute(text(
            "SELECT customer_id::text, candidate_ids::text[] FROM leads.offers "
            "WHERE customer_id = ANY(:ids)"), {"ids": [uuid.UUID(shared["customer_id"]),
                                                       uuid.UUID(only_x["customer_id"])]}
            ).all())
    assert world.users["x"]["id"] not in candidates[shared["customer_id"]]
    assert world.users["a"]["id"] in candidates[shared["customer_id"]]
    # Nobody left to grab it: closed as when nobody grabs (nobody on duty: the pool).
    wait_for(lambda: count(engine, "SELECT count(*) FROM leads.offers WHERE customer_id = :c "
                           "AND status = 'expired'", c=only_x["customer_id"]), timeout=60)
    queue = call(planner, "reception_queue", world.token("mgr"), str(world.project))["items"]
    assert [q["user_id"] for q in queue] == [world.users["a"]["id"]]


def test_a_stale_deactivation_does_not_undo_a_reactivation(planner, world):
    call(planner, "reception_join", world.token("x"), str(world.project))
    add_users(planner, dict(world.users["x"], active=True, revision=3))
    deliver(planner, "on_user_deactivated", envelope(
        "directory", directory.USER_UPSERTED, dict(world.users["x"], active=False,
                                                   revision=2)))
    queue = call(planner, "reception_queue", world.token("mgr"), str(world.project))["items"]
    assert [q["user_id"] for q in queue] == [world.users["x"]["id"]]


# Bulk reassignment (批量转移) -------------------------------------------------------------

def test_a_manager_reassigns_chosen_customers_and_a_retry_answers_the_same_job(
        planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 3)
    request = {"customer_ids": mine[:2], "mode": "colleague",
               "to_user_id": world.users["b"]["id"]}
    job = call(planner, "reassign", world.token("mgr"), request, "move-1")
    assert job["kind"] == "reassign" and job["total"] == 2 and not job["done"]
    assert call(planner, "reassign", world.token("mgr"), request, "move-1")["id"] == job["id"]
    with pytest.raises(Conflict) as reused:
        call(planner, "reassign", world.token("mgr"), {**request, "customer_ids": mine},
             "move-1")
    assert reused.value.field == "Idempotency-Key"
    mover()
    wait_for(lambda: call(planner, "reassignment", world.token("mgr"), job["id"])["done"],
             timeout=60)
    assert owners(engine, mine) == {mine[0]: world.users["b"]["id"],
                                    mine[1]: world.users["b"]["id"],
                                    mine[2]: world.users["x"]["id"]}
    assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = :c "
                 "AND action = 'reassign' AND reason = :r", c=mine[0],
                 r=h.REASSIGN_REASON) == 1
    with pytest.raises(NotFound):
        call(planner, "reassignment", world.token("boss"), str(uuid.uuid4()))
    assert call(planner, "reassignment", world.token("boss"), job["id"])["moved"] == 2


def test_a_reassignment_keeps_the_reason_given_and_refuses_a_blank_one(
        planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 1)
    request = {"customer_ids": mine, "mode": "colleague", "to_user_id": world.users["b"]["id"]}
    with pytest.raises(ValidationFailed) as blank:
        call(planner, "reassign", world.token("mgr"), {**request, "reason": " "})
    assert blank.value.field == "reason"
    job = call(planner, "reassign", world.token("mgr"), {**request, "reason": "顾问调岗"})
    mover()
    wait_for(lambda: call(planner, "reassignment", world.token("mgr"), job["id"])["done"],
             timeout=60)
    assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE customer_id = :c "
                 "AND action = 'reassign' AND reason = :r", c=mine[0], r="顾问调岗") == 1


def test_a_selection_with_anyone_out_of_scope_is_refused_whole(planner, world, engine):
    mine = customers_of(planner, world, "x", 2)
    theirs = customers_of(planner, world, "far", 1)
    with pytest.raises(NotFound) as refused:
        call(planner, "reassign", world.token("mgr"),
             {"customer_ids": mine + theirs, "mode": "pool"})
    assert refused.value.field == "customer_ids"
    with pytest.raises(NotFound):
        call(planner, "reassign", world.token("mgr"),
             {"customer_ids": [str(uuid.uuid4())], "mode": "pool"})
    assert count(engine, "SELECT count(*) FROM leads.handovers WHERE company_id = :co",
                 co=world.company) == 0
    assert set(owners(engine, mine).values()) == {world.users["x"]["id"]}


def test_targets_and_callers_are_checked_naming_the_field(planner, world):
    mine = customers_of(planner, world, "x", 1)
    with pytest.raises(Forbidden):
        call(planner, "reassign", world.token("a"), {"customer_ids": mine, "mode": "pool"})
    cases = [({"mode": "colleague", "to_user_id": world.users["far"]["id"]}, "to_user_id"),
             ({"mode": "colleague", "to_user_id": world.users["other"]["id"]}, "to_user_id"),
             ({"mode": "colleague"}, "to_user_id"),
             ({"mode": "pool", "projects": {str(world.other_project): {"mode": "pool"}}},
              f"projects.{world.other_project}"),
             ({"mode": "pool", "filter": {}}, "filter")]
    for plan, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            call(planner, "reassign", world.token("mgr"), {"customer_ids": mine, **plan})
        assert refused.value.field == field, plan
    with pytest.raises(NotFound) as refused:
        call(planner, "reassign", world.token("mgr"),
             {"filter": {"owner_id": world.users["far"]["id"]}, "mode": "pool"})
    assert refused.value.field == "filter.owner_id"


def test_a_filter_moves_what_an_owner_holds_in_scope(planner, mover, world, engine):
    mine = customers_of(planner, world, "x", 3)
    job = call(planner, "reassign", world.token("boss"),
               {"filter": {"owner_id": world.users["x"]["id"]}, "mode": "round_robin"})
    assert job["total"] == 3
    mover()
    wait_for(lambda: call(planner, "reassignment", world.token("boss"), job["id"])["done"],
             timeout=60)
    # The director's round-robin spreads over the owner's team, the owner left out.
    assert set(owners(engine, mine).values()) == {world.users["a"]["id"],
                                                  world.users["b"]["id"]}
