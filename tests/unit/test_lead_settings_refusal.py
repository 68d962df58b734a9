"""What a director's lead rules get wrong beyond the model: refused at the field on writing."""

import uuid

from contracts.leads import ProjectLeadSettings
from services.leads.domain import settings_refusal

LI, WANG = uuid.uuid4(), uuid.uuid4()


def rules(**changes) -> ProjectLeadSettings:
    return ProjectLeadSettings.model_validate(changes)


def test_sound_rules_pass():
    assert settings_refusal(rules(), {LI}) is None
    assert settings_refusal(rules(assignment={"strategy": "region",
                                              "regions": {"滨江区": [str(LI)]}}), {LI}) is None


def test_a_choice_of_nothing_is_refused_at_its_value():
    grading = [{"grade": "A", "when": [{"field": "budget_min", "op": "present"},
                                       {"field": "purpose", "op": "in", "value": []}]}]
    assert settings_refusal(rules(grading=grading), set()) == (
        "choose at least one value", "grading.0.when.1.value")


def test_a_negative_threshold_is_refused():
    grading = [{"grade": "B", "when": [{"field": "area_min", "op": "gte", "value": -90}]}]
    assert settings_refusal(rules(grading=grading), set())[1] == "grading.0.when.0.value"


def test_a_region_may_name_only_the_projects_active_consultants():
    regions = {"滨江区": [str(LI)], "西湖区": [str(LI), str(WANG)]}
    assert settings_refusal(rules(assignment={"strategy": "region", "regions": regions}),
                            {LI}) == ("not an active consultant of this project",
                                      "assignment.regions.西湖区.1")
