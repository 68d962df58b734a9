import uuid

from contracts.actor import Actor, Role
from contracts.leads import (
    AssignmentSettings,
    GradeCondition,
    GradeRule,
    NewLead,
    ProjectLeadSettings,
)
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


def lead(**fields) -> NewLead:
    return NewLead(name="张三", phone="13800138000", channel="douyin", project_id=PROJECT,
                   **fields)


def test_grading_takes_the_first_rule_that_holds_and_says_which():
    rules = ProjectLeadSettings()
    assert domain.grade(lead(budget_min=3_500_000, purpose="self_use"), rules)[0] == "A"
    assert domain.grade(lead(budget_min=3_500_000, purpose="investment"), rules) == (
        "B", "rule 2: 有预算")
    assert domain.grade(lead(), rules) == ("C", "no rule matched: default grade")


def test_a_project_can_grade_by_its_own_threshold():
    rules = ProjectLeadSettings(grading=[GradeRule(grade="A", when=[
        GradeCondition(field="budget_min", op="gte", value=8_000_000),
        GradeCondition(field="district", op="eq", value="滨江")])], default_grade="D")
    assert domain.grade(lead(budget_min=9_000_000, district="滨江"), rules)[0] == "A"
    assert domain.grade(lead(budget_min=9_000_000, district="萧山"), rules)[0] == "D"


def test_required_fields_are_the_projects_choice():
    rules = ProjectLeadSettings(required_fields=["budget_min", "layout"])
    assert domain.missing_required(lead(budget_min=1), rules) == "layout"
    assert domain.missing_required(lead(budget_min=1, layout="三室两厅"), rules) is None


def test_region_strategy_prefers_the_districts_consultants():
    rules = AssignmentSettings(strategy="region", regions={"滨江": [B, C]})
    first = domain.choose_owner(actor(Role.manager), PROJECT, [A, B, C], None, rules, "滨江")
    second = domain.choose_owner(actor(Role.manager), PROJECT, [A, B, C], first.owner_id,
                                 rules, "滨江")
    assert [first.owner_id, second.owner_id] == [B, C]
    elsewhere = domain.choose_owner(actor(Role.manager), PROJECT, [A, B, C], None, rules,
                                    "萧山")
    assert elsewhere.owner_id == A and "no on-duty consultant for district" in elsewhere.reason


def test_load_strategy_picks_the_lightest_and_respects_the_cap():
    rules = AssignmentSettings(strategy="load", load_cap=3)
    pick = domain.choose_owner(actor(Role.manager), PROJECT, [A, B, C], None, rules,
                               loads={A: 2, B: 1, C: 3})
    assert pick.owner_id == B and "1 open customers" in pick.reason
    full = domain.choose_owner(actor(Role.manager), PROJECT, [A, B], None, rules,
                               loads={A: 3, B: 4})
    assert full.owner_id is None and full.strategy == "pool"
