from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from contracts.tasks import SopTemplate
from services.tasks import domain

# 2026-11-23 10:00 in Shanghai is 02:00 UTC.
MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_the_shipped_sop_gives_a_new_lead_a_15_minute_call_and_a_portrait_task():
    plans = {p.kind: p for p in domain.plans_for(domain.default_template(), "new", MORNING)}
    assert plans["first_contact"].due_at == MORNING + timedelta(minutes=15)
    assert plans["first_contact"].remind_at == MORNING + timedelta(minutes=10)
    assert plans["first_contact"].evidence == "followup"
    assert plans["initial_portrait"].due_at == MORNING + timedelta(hours=24)


def test_deadlines_outside_opening_hours_move_to_the_next_opening():
    late = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)        # 22:00 Shanghai
    early = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)      # 06:30 Shanghai next day
    assert domain.into_opening_hours(late, "09:00", "21:00") == datetime(
        2026, 11, 24, 1, 0, tzinfo=UTC)
    assert domain.into_opening_hours(early, "09:00", "21:00") == datetime(
        2026, 11, 24, 1, 0, tzinfo=UTC)
    assert domain.into_opening_hours(MORNING, "09:00", "21:00") == MORNING


def test_a_stage_without_a_template_creates_nothing():
    assert domain.plans_for(domain.default_template(), "signed", MORNING) == []


def test_follow_ups_complete_only_the_tasks_they_are_evidence_for():
    call_task = SimpleNamespace(evidence="followup", followup_types=["call", "wechat"])
    manual = SimpleNamespace(evidence="manual", followup_types=[])
    assert domain.completed_by_followup(call_task, "call")
    assert not domain.completed_by_followup(call_task, "visit")
    assert not domain.completed_by_followup(manual, "call")


@pytest.mark.parametrize("text", ["15m", "24h", "3d"])
def test_durations(text):
    assert domain.parse_duration(text).total_seconds() > 0


def test_a_bad_template_names_where():
    with pytest.raises(Exception) as bad:
        SopTemplate.model_validate({"stages": [{"stage": "new", "tasks": [
            {"key": "x1", "title": "t", "due_after": "15x"}]}]})
    assert "due_after" in str(bad.value)
