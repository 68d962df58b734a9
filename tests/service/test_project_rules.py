"""Per-project lead rules through the leads service: required fields, grading, strategy."""

import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, ValidationFailed
from tests.service.conftest import add_users, count, new_lead, unique_phone


def configure(container, world, who: str, settings: dict):
    with entrypoint_hook(container, "update_project_settings") as update:
        return update(world.token(who), str(world.project), settings)


def test_only_a_director_or_admin_changes_the_rules(leads, world):
    add_users(leads, world.user("boss", Role.director), world.user("mgr", Role.manager))
    with pytest.raises(Forbidden):
        configure(leads, world, "mgr", {"required_fields": ["budget_min"]})
    with pytest.raises(ValidationFailed) as bad:
        configure(leads, world, "boss", {"required_fields": ["shoe_size"]})
    assert bad.value.field == "required_fields.0"
    saved = configure(leads, world, "boss", {"required_fields": ["budget_min"]})
    assert saved["required_fields"] == ["budget_min"]
    with entrypoint_hook(leads, "get_project_settings") as get:
        assert get(world.token("mgr"), str(world.project))["required_fields"] == ["budget_min"]
        with pytest.raises(NotFound):
            get(world.token("mgr"), str(world.other_project))


def test_a_lead_missing_a_required_field_is_refused_naming_it(leads, world, engine):
    add_users(leads, world.user("a"), world.user("boss", Role.director))
    configure(leads, world, "boss", {"required_fields": ["budget_min", "layout"]})
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(ValidationFailed) as refused:
            create(world.token("boss"), new_lead(world, unique_phone(), budget_min=2_000_000))
        assert refused.value.field == "layout"
        accepted = create(world.token("boss"), new_lead(
            world, unique_phone(), budget_min=2_000_000, layout="三室两厅"))
    assert accepted["status"] == "created"
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                 c=world.company) == 1


def test_leads_are_graded_by_the_projects_rules(leads, world, engine):
    add_users(leads, world.user("a"), world.user("boss", Role.director))
    with entrypoint_hook(leads, "create") as create:
        top = create(world.token("boss"), new_lead(world, unique_phone(), budget_min=4_000_000,
                                                   purpose="upgrade"))
        plain = create(world.token("boss"), new_lead(world, unique_phone()))
    assert (top["grade"], plain["grade"]) == ("A", "C")
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = 'lead.created' "
                 "AND envelope->'payload'->>'grade' = 'A' AND "
                 "envelope->'payload'->>'lead_id' = :l", l=top["lead_id"]) == 1


def test_load_strategy_sends_leads_to_the_pool_when_everyone_is_at_the_cap(leads, world):
    add_users(leads, world.user("a"), world.user("b"), world.user("boss", Role.director))
    configure(leads, world, "boss", {"assignment": {"strategy": "load", "load_cap": 1}})
    with entrypoint_hook(leads, "create") as create:
        owners = [create(world.token("boss"), new_lead(world, unique_phone()))["owner_id"]
                  for _ in range(3)]
    assert sorted(owners[:2]) == sorted([world.users["a"]["id"], world.users["b"]["id"]])
    assert owners[2] is None
