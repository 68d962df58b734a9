import uuid

from contracts.actor import Actor, Role
from services.leads import domain

A, B, C = sorted(uuid.uuid4() for _ in range(3))
PROJECT = uuid.uuid4()


def actor(role: Role, projects=(PROJECT,)) -> Actor:
    return Actor(user_id=uuid.uuid4(), company_id=uuid.uuid4(), role=role,
                 project_ids=tuple(projects))


def test_round_robin_takes_turns_and_wraps():
    turns, last = [], None
    for _ in range(5):
        last = domain.next_in_rotation([C, A, B], last)
        turns.append(last)
    assert turns == [A, B, C, A, B]


def test_round_robin_continues_after_the_last_one_went_off_duty():
    assert domain.next_in_rotation([A, C], B) == C


def test_nobody_on_duty_sends_the_customer_to_the_pool():
    assignment = domain.choose_owner(actor(Role.manager), PROJECT, [], None)
    assert assignment.owner_id is None and assignment.strategy == "pool"


def test_a_consultant_keeps_the_lead_they_entered_themselves():
    me = actor(Role.consultant)
    assignment = domain.choose_owner(me, PROJECT, [A, B], None)
    assert assignment.owner_id == me.user_id and assignment.strategy == "self"


def test_a_manager_entering_a_lead_starts_the_rotation_and_says_why():
    assignment = domain.choose_owner(actor(Role.manager), PROJECT, [A, B], A)
    assert assignment.owner_id == B
    assert "round-robin" in assignment.reason


def test_only_project_members_and_company_roles_may_enter_leads():
    assert domain.may_enter_for(actor(Role.consultant), PROJECT)
    assert not domain.may_enter_for(actor(Role.consultant, projects=()), PROJECT)
    assert domain.may_enter_for(actor(Role.admin, projects=()), PROJECT)
    assert not domain.may_enter_for(actor(Role.homeowner), PROJECT)
    assert not domain.may_enter_for(actor(Role.service_agent), PROJECT)


def test_request_hash_ignores_key_order_but_not_values():
    assert domain.request_hash({"a": 1, "b": 2}) == domain.request_hash({"b": 2, "a": 1})
    assert domain.request_hash({"a": 1}) != domain.request_hash({"a": 2})
