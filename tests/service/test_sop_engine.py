"""The SOP engine through the tasks service: stages open tasks, evidence completes them,
leaving a stage cancels them, the pool takes them away."""

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from contracts import customers, leads
from contracts.actor import Role
from contracts.errors import Forbidden, ValidationFailed
from kit import clock
from services.tasks.service import TasksService
from tests.service.conftest import add_users, call, envelope


@pytest.fixture
def sop(start, world):
    container = start(TasksService)
    add_users(container, world.user("a"), world.user("mgr", Role.manager),
              world.user("boss", Role.director))
    return container


def deliver(container, handler, producer, event_type, payload):
    with entrypoint_hook(container, handler) as handle:
        handle(envelope(producer, event_type, payload.model_dump(mode="json")))


def new_customer(container, world) -> str:
    customer = uuid.uuid4()
    deliver(container, "on_customer_created", "customers", customers.CUSTOMER_CREATED,
            customers.CustomerCreated(customer_id=customer, company_id=world.company,
                                      project_id=world.project, owner_id=world.users["a"]["id"],
                                      lead_id=uuid.uuid4(), channel="douyin", stage="new",
                                      created_at=clock.now()))
    return str(customer)


def tasks_of(container, world, customer, status=None) -> dict[str, str]:
    query = {"customer_id": customer, **({"status": status} if status else {})}
    items = call(container, "list", world.token("a"), query)["items"]
    return {t["kind"]: t["status"] for t in items}


def followup(container, world, customer, kind="call"):
    deliver(container, "on_followup_logged", "customers", customers.FOLLOWUP_LOGGED,
            customers.FollowupLogged(followup_id=uuid.uuid4(), customer_id=customer,
                                     company_id=world.company, project_id=world.project,
                                     owner_id=world.users["a"]["id"],
                                     actor_id=world.users["a"]["id"], type=kind,
                                     at=clock.now()))


def move(container, world, customer, from_stage, to_stage):
    deliver(container, "on_stage_changed", "customers", customers.CUSTOMER_STAGE_CHANGED,
            customers.StageChanged(customer_id=customer, company_id=world.company,
                                   project_id=world.project, owner_id=world.users["a"]["id"],
                                   from_stage=from_stage, to_stage=to_stage,
                                   seconds_in_previous=60, actor_id=world.users["a"]["id"],
                                   at=clock.now()))


def test_a_new_customer_gets_the_new_stage_tasks_and_a_call_completes_the_first(sop, world):
    customer = new_customer(sop, world)
    assert tasks_of(sop, world, customer) == {"first_contact": "open",
                                              "initial_portrait": "open"}
    followup(sop, world, customer, "visit")     # not evidence for a first call
    assert tasks_of(sop, world, customer)["first_contact"] == "open"
    followup(sop, world, customer, "call")
    assert tasks_of(sop, world, customer) == {"first_contact": "done",
                                              "initial_portrait": "open"}


def test_a_stage_move_cancels_the_old_stage_tasks_and_opens_the_next(sop, world):
    customer = new_customer(sop, world)
    move(sop, world, customer, "new", "invited")
    assert tasks_of(sop, world, customer) == {
        "first_contact": "cancelled", "initial_portrait": "cancelled",
        "send_brochure": "open", "confirm_visit_time": "open"}


def test_releasing_to_the_pool_cancels_open_tasks(sop, world):
    customer = new_customer(sop, world)
    deliver(sop, "on_customer_released", "leads", leads.CUSTOMER_RELEASED,
            leads.OwnershipChanged(customer_id=customer, company_id=world.company,
                                   project_id=world.project, owner_id=None,
                                   previous_owner_id=world.users["a"]["id"], action="release",
                                   by=world.users["a"]["id"], reason="无意向", at=clock.now(),
                                   owner_revision=2))
    assert set(tasks_of(sop, world, customer).values()) == {"cancelled"}


def test_a_director_replaces_the_projects_sop_and_bad_templates_name_the_field(sop, world):
    mine = {"stages": [{"stage": "new", "tasks": [
        {"key": "call_in_5", "title": "5分钟内电话", "due_after": "5m", "evidence": "followup",
         "followup_types": ["call"]}]}]}
    with pytest.raises(Forbidden):
        call(sop, "update_sop", world.token("mgr"), str(world.project), mine)
    with pytest.raises(ValidationFailed) as bad:
        call(sop, "update_sop", world.token("boss"), str(world.project),
             {"stages": [{"stage": "new", "tasks": [{"key": "x1", "title": "t",
                                                      "due_after": "5 minutes"}]}]})
    assert bad.value.field == "stages.0.tasks.0.due_after"
    call(sop, "update_sop", world.token("boss"), str(world.project), mine)
    customer = new_customer(sop, world)
    assert tasks_of(sop, world, customer) == {"call_in_5": "open"}
