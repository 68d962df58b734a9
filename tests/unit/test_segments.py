"""Segment filters: validation naming the field, and their translation to SQL (compiled,
never run)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql

from contracts.customers import SegmentFilter, TagDimension
from contracts.errors import from_pydantic
from kit.scope import Visibility
from services.customers import segments

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
COMPANY, USER, TEAM, PHASE1 = (uuid.uuid4() for _ in range(4))
ADMIN = Visibility("company", COMPANY)


def sql(query) -> tuple[str, dict]:
    compiled = query.compile(dialect=postgresql.dialect())
    return " ".join(str(compiled).split()), compiled.params


def where(spec: dict, vis: Visibility = ADMIN) -> tuple[str, dict]:
    return sql(segments.count_query(SegmentFilter.model_validate(spec), vis, NOW))


def field_of(spec: dict) -> str | None:
    with pytest.raises(ValidationError) as refused:
        SegmentFilter.model_validate(spec)
    return from_pydantic(refused.value).field


def test_the_issue_example_phase_1_owners_focused_on_schools_signed_over_2_years_ago():
    text, params = where({"project_ids": [str(PHASE1)], "tags": ["focus:学区"],
                          "signed": {"more_than_days_ago": 730}})
    assert "customers.customers.stage = %(stage_1)s" in text and params["stage_1"] == "signed"
    assert "customers.customers.stage_entered_at < %(stage_entered_at_1)s" in text
    assert params["stage_entered_at_1"] == NOW - timedelta(days=730)
    assert "customers.customers.project_id IN" in text
    assert "customers.customers.id IN (SELECT customers.customer_tags.customer_id" in text
    assert (params["dimension_1"], params["value_1"]) == ("focus", "学区")


def test_every_segment_is_scoped_and_leaves_out_erased_and_merged_customers():
    text, params = where({})
    assert "customers.customers.company_id = %(company_id_1)s" in text
    assert params["company_id_1"] == COMPANY
    assert "erased_at IS NULL" in text and "merged_into IS NULL" in text
    own, own_params = where({}, Visibility("own", COMPANY, user_id=USER))
    assert "customers.customers.owner_id = %(owner_id_1)s" in own
    assert own_params["owner_id_1"] == USER
    # A team: the manager's own and the members', as one array PostgreSQL computes once.
    team, team_params = where({}, Visibility("team", COMPANY, user_id=USER, team_id=TEAM))
    assert "customers.customers.owner_id = any(array((SELECT customers.users.id" in team
    assert "WHERE customers.users.team_id = %(team_id_1)s::UUID UNION ALL SELECT" in team
    assert team_params["team_id_1"] == TEAM and USER in team_params.values()
    director, _ = where({}, Visibility("projects", COMPANY, project_ids=(PHASE1,)))
    assert "customers.customers.project_id IN" in director


def test_any_tag_is_one_semi_join_and_all_tags_one_each():
    anyone, _ = where({"tags": ["focus:学区", "focus:地铁"]})
    assert anyone.count("FROM customers.customer_tags") == 1 and " OR " in anyone
    every, params = where({"tags": ["focus:学区", ":周末看房"], "tags_match": "all"})
    assert every.count("FROM customers.customer_tags") == 2
    assert ("", "周末看房") in {(params[k], params[k.replace("dimension", "value")])
                             for k in params if k.startswith("dimension")}


def test_date_windows_absolute_relative_and_never():
    after = datetime(2026, 1, 1, tzinfo=UTC)
    text, params = where({"created": {"after": after.isoformat(), "within_days": 400},
                          "last_followup": {"more_than_days_ago": 30, "or_never": True}})
    assert params["created_at_1"] == after
    assert params["created_at_2"] == NOW - timedelta(days=400)
    assert "(customers.customers.last_followup_at IS NULL OR " \
           "customers.customers.last_followup_at < %(last_followup_at_1)s)" in text
    assert params["last_followup_at_1"] == NOW - timedelta(days=30)
    never, _ = where({"last_followup": {"or_never": True}})
    assert never.endswith("customers.customers.last_followup_at IS NULL")


def test_portrait_parts_use_jsonb_containment_and_ranges_overlap():
    text, params = where({"purposes": ["school_district", "upgrade"], "districts": ["滨江"],
                          "budget": {"min": 3_000_000, "max": 5_000_000}})
    contained = [v for k, v in params.items() if k.startswith("portrait_") and isinstance(
        v, dict)]
    assert {"purpose": "school_district"} in contained and {"districts": ["滨江"]} in contained
    assert text.count("customers.customers.portrait @>") == 3
    assert "coalesce(CAST((customers.customers.portrait ->> " in text
    assert 3_000_000 in params.values() and 5_000_000 in params.values()


def test_stages_owners_and_opt_out():
    text, _ = where({"stages": ["intent", "subscribed"], "owner_ids": [str(USER)],
                     "opted_out": False})
    assert "customers.customers.stage IN" in text and "customers.customers.owner_id IN" in text
    assert "customers.customers.marketing_opt_out IS false" in text


def test_the_listing_is_newest_first_and_asks_one_more_than_the_page():
    text, params = sql(segments.page_query(SegmentFilter(), ADMIN, NOW, page=3, page_size=20))
    assert "ORDER BY customers.customers.created_at DESC, customers.customers.id DESC" in text
    assert (params["param_1"], params["param_2"]) == (21, 40)


@pytest.mark.parametrize(("spec", "field"), [
    ({"tags": ["学区"]}, "tags.0"),
    ({"tags": ["focus:学区", "Focus:地铁"]}, "tags.1"),
    ({"stages": ["visited", "sold"]}, "stages.1"),
    ({"project_ids": ["phase-1"]}, "project_ids.0"),
    ({"created": {}}, "created"),
    ({"created": {"after": "2026-01-01T00:00:00"}}, "created.after"),
    ({"last_followup": {"after": "2026-02-01T00:00:00Z", "before": "2026-01-01T00:00:00Z"}},
     "last_followup"),
    ({"stage_entered": {"more_than_days_ago": 30, "within_days": 10}}, "stage_entered"),
    ({"signed": {"more_than_days_ago": -1}}, "signed.more_than_days_ago"),
    ({"stages": ["new"], "signed": {"within_days": 30}}, "signed"),
    ({"budget": {"min": 5_000_000, "max": 3_000_000}}, "budget"),
    ({"purposes": ["education"]}, "purposes.0"),
    ({"tags_match": "most"}, "tags_match"),
    ({"owner": "me"}, "owner"),
])
def test_a_bad_filter_names_the_field(spec, field):
    assert field_of(spec) == field


def test_tags_are_checked_against_the_company_dimensions():
    dimensions = {"focus": TagDimension(code="focus", name="关注点", values=["学区", "地铁"])}
    assert segments.unknown_tag(["focus:学区", ":anything"], dimensions) is None
    assert segments.unknown_tag(["focus:学区", "decor:精装"], dimensions)[0] == 1
    position, why = segments.unknown_tag(["focus:海景"], dimensions)
    assert position == 0 and "关注点" in why
