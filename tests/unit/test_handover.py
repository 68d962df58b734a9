"""Handover rules without I/O: the plan's shape, who gets which customer, who may offboard
whom and whom a plan may name."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from contracts import handover as h
from contracts.actor import Actor, Role
from contracts.errors import ValidationFailed, parse
from services.directory import offboarding
from services.leads import domain

COMPANY, HZ, SH, TEAM = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
A, B, C = sorted(uuid.uuid4() for _ in range(3))


def test_round_robin_deals_the_customers_in_turn_in_a_stable_order():
    dealt = [domain.planned_owner("round_robin", None, [C, A, B], i)[0] for i in range(7)]
    assert dealt == [A, B, C, A, B, C, A]
    assert domain.planned_owner("colleague", B, [A, C], 5) == (B, None)
    assert domain.planned_owner("pool", None, [A, B], 0) == (None, None)
    owner, why = domain.planned_owner("round_robin", None, [], 0)
    assert owner is None and "pool" in why


def test_a_colleague_who_left_is_replaced_by_the_next_eligible_or_the_pool():
    owner, why = domain.replanned_owner(A, [A, B, C], 0)
    assert owner == B and str(A) in why and str(B) in why
    assert domain.replanned_owner(A, [A, B, C], 1)[0] == C
    owner, why = domain.replanned_owner(A, [A], 0)
    assert owner is None and "pool" in why


def test_a_plan_names_its_colleague_exactly_when_it_needs_one():
    for plan, field in (({"mode": "colleague"}, "to_user_id"),
                        ({"mode": "pool", "to_user_id": str(A)}, "to_user_id"),
                        ({"mode": "pool", "projects": {str(HZ): {"mode": "colleague"}}},
                         f"projects.{HZ}.to_user_id"),
                        ({"mode": "everyone"}, "mode"),
                        ({"mode": "pool", "extra": 1}, "extra")):
        with pytest.raises(ValidationFailed) as refused:
            parse(h.HandoverPlan, plan)
        assert refused.value.field == field, plan
    plan = parse(h.HandoverPlan, {"mode": "round_robin",
                                  "projects": {str(SH): {"mode": "colleague",
                                                         "to_user_id": str(A)}}})
    assert plan.rule_for(SH).to_user_id == A and plan.rule_for(HZ).mode == "round_robin"
    assert plan.rule_for(None).mode == "round_robin"
    assert [prefix for prefix, _, _ in plan.rules()] == ["", f"projects.{SH}."]


def test_a_retried_plan_is_the_same_plan_whatever_the_order_of_its_projects():
    one = {"mode": "pool", "projects": {str(HZ): {"mode": "pool"},
                                        str(SH): {"mode": "round_robin"}}}
    other = {"mode": "pool", "projects": dict(reversed(list(one["projects"].items())))}
    assert parse(h.HandoverPlan, one).canonical() == parse(h.HandoverPlan, other).canonical()


def test_a_reassignment_selects_by_ids_or_by_a_filter_not_both_nor_neither():
    for request, field in (({"mode": "pool"}, "filter"),
                           ({"mode": "pool", "customer_ids": [str(A)],
                             "filter": {"owner_id": str(B)}}, "filter"),
                           ({"mode": "pool", "filter": {}}, "filter"),
                           ({"mode": "pool", "customer_ids": []}, "customer_ids")):
        with pytest.raises(ValidationFailed) as refused:
            parse(h.ReassignRequest, request)
        assert refused.value.field == field, request
    asked = parse(h.ReassignRequest, {"mode": "colleague", "to_user_id": str(A),
                                      "filter": {"project_id": str(HZ)}})
    assert asked.plan() == h.HandoverPlan(mode="colleague", to_user_id=A)


def actor(role: Role, team=None, projects=(HZ,), user_id=None) -> Actor:
    return Actor(user_id=user_id or uuid.uuid4(), company_id=COMPANY, role=role,
                 team_id=team, project_ids=tuple(projects))


def person(role="consultant", team=TEAM, active=True, company=COMPANY, user_id=None):
    return SimpleNamespace(id=user_id or uuid.uuid4(), company_id=company, role=role,
                           team_id=team, active=active)


def test_the_leavers_manager_their_director_or_an_admin_may_offboard():
    leaver = person()
    manager = actor(Role.manager, team=TEAM)
    team = SimpleNamespace(id=TEAM, manager_id=manager.user_id)
    assert offboarding.may_offboard(manager, leaver, team, [HZ])
    assert not offboarding.may_offboard(actor(Role.manager, team=uuid.uuid4()), leaver,
                                        SimpleNamespace(id=TEAM, manager_id=None), [HZ])
    assert offboarding.may_offboard(actor(Role.director), leaver, team, [HZ])
    assert not offboarding.may_offboard(actor(Role.director, projects=(SH,)), leaver, team,
                                        [HZ])
    assert not offboarding.may_offboard(actor(Role.director), leaver, team, [HZ, SH])
    assert offboarding.may_offboard(actor(Role.admin, projects=()), leaver, team, [HZ])
    assert not offboarding.may_offboard(actor(Role.consultant, team=TEAM), leaver, team, [HZ])
    assert not offboarding.may_offboard(manager, person(company=uuid.uuid4()), team, [HZ])
    assert not offboarding.may_offboard(manager, person("manager"), team, [HZ])


def test_a_plan_may_name_an_active_consultant_of_every_project_it_gives_them():
    leaver, admin = person(), actor(Role.admin, projects=())
    colleague = person()
    assert offboarding.colleague_refusal(admin, leaver, colleague, [HZ, SH], {HZ, SH}) is None
    assert "project" in offboarding.colleague_refusal(admin, leaver, colleague, [HZ],
                                                      {HZ, SH})
    assert "not active" in offboarding.colleague_refusal(
        admin, leaver, person(active=False), [HZ], {HZ})
    assert "consultant" in offboarding.colleague_refusal(admin, leaver, person("manager"),
                                                         [HZ], {HZ})
    assert "no such" in offboarding.colleague_refusal(admin, leaver, None, [], {HZ})
    assert "no such" in offboarding.colleague_refusal(
        admin, leaver, person(company=uuid.uuid4()), [HZ], {HZ})
    assert "own" in offboarding.colleague_refusal(admin, leaver, leaver, [HZ], {HZ})
    manager = actor(Role.manager, team=TEAM)
    assert "own team" in offboarding.colleague_refusal(manager, leaver,
                                                       person(team=uuid.uuid4()), [HZ], {HZ})


def test_each_rule_covers_its_projects_and_the_default_the_rest_of_the_leavers():
    plan = h.HandoverPlan(mode="round_robin", projects={SH: h.HandoverRule(mode="pool")})
    assert offboarding.covered_projects(plan, [HZ, SH]) == {"": {HZ}, f"projects.{SH}.": {SH}}
