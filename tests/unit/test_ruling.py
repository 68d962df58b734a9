"""报备 protection and 判客 rules, without I/O."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from services.leads import ruling

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
AGENT, OTHER = uuid.uuid4(), uuid.uuid4()


def reg(agent=AGENT, days_ago=1, visit_days=7, visited_days_ago=None, deal_days=30,
        status="active"):
    registered = NOW - timedelta(days=days_ago)
    visited = NOW - timedelta(days=visited_days_ago) if visited_days_ago is not None else None
    return SimpleNamespace(
        id=uuid.uuid4(), agent_id=agent, registered_at=registered, status=status,
        visit_protect_until=registered + timedelta(days=visit_days), visited_at=visited,
        deal_protect_until=visited + timedelta(days=deal_days) if visited else None)


def test_a_second_agent_is_refused_while_the_first_is_protected_and_told_until_when():
    refusal = ruling.registration_refusal([reg()], OTHER, NOW, None)
    message, details = refusal
    assert "already registered by another agent until 2026-11-29" in message
    assert details["holder_agent_id"] == str(AGENT)


def test_after_the_visit_protection_lapses_another_agent_may_register():
    assert ruling.registration_refusal([reg(days_ago=8)], OTHER, NOW, None) is None


def test_a_visited_customer_stays_protected_for_the_deal_period():
    visited = reg(days_ago=20, visited_days_ago=15)
    assert ruling.is_protected(visited, NOW)
    assert ruling.registration_refusal([visited], OTHER, NOW, None) is not None


def test_an_owned_customer_cannot_be_registered():
    message, _ = ruling.registration_refusal([], OTHER, NOW, NOW - timedelta(days=40))
    assert "already a customer" in message


def test_a_walk_in_within_protection_is_attributed_to_the_agent_and_starts_the_deal_clock():
    held = reg()
    verdict = ruling.rule_on_lead([held], None, NOW, None, None)
    assert (verdict.outcome, verdict.rule, verdict.attributed_to) == (
        "agent", "visit_within_protection", AGENT)
    assert verdict.mark_visited and "protected until" in verdict.reason


def test_first_registration_wins_over_a_later_agent():
    verdict = ruling.rule_on_lead([reg()], OTHER, NOW, None, None)
    assert verdict.attributed_to == AGENT and verdict.rule == "first_registration_wins"


def test_a_lapsed_registration_gives_a_natural_customer_and_is_closed():
    verdict = ruling.rule_on_lead([reg(days_ago=10)], None, NOW, None, None)
    assert (verdict.outcome, verdict.rule, verdict.expire) == (
        "natural", "registration_expired", True)


def test_an_agent_without_a_registration_gets_no_attribution():
    verdict = ruling.rule_on_lead([], OTHER, NOW, None, None)
    assert verdict.outcome == "natural" and verdict.attributed_to is None
    known = ruling.rule_on_lead([], OTHER, NOW, NOW - timedelta(days=3), AGENT)
    assert known.outcome == "existing_customer" and known.attributed_to == AGENT


def test_nothing_to_rule_without_registration_or_agent():
    assert ruling.rule_on_lead([], None, NOW, None, None) is None
