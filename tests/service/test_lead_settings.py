"""A project's lead rules written through the RPC: what the model lets through but a
director cannot mean is refused at its field, and nothing is stored."""

import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import ValidationFailed
from tests.service.conftest import add_users


def test_a_region_naming_someone_outside_the_project_is_refused_and_nothing_stored(
        leads, world):
    add_users(leads, world.user("a"), world.user("boss", Role.director),
              world.user("far", team=world.other_team, projects=[world.other_project]))
    a, far = world.users["a"]["id"], world.users["far"]["id"]
    with entrypoint_hook(leads, "get_project_settings") as get:
        before = get(world.token("boss"), str(world.project))
    regions = {"滨江区": [a], "西湖区": [a, far]}
    with entrypoint_hook(leads, "update_project_settings") as update, \
            pytest.raises(ValidationFailed) as refused:
        update(world.token("boss"), str(world.project),
               {"assignment": {"strategy": "region", "regions": regions}})
    assert refused.value.field == "assignment.regions.西湖区.1"
    with entrypoint_hook(leads, "get_project_settings") as get:
        assert get(world.token("boss"), str(world.project)) == before
    with entrypoint_hook(leads, "update_project_settings") as update:
        saved = update(world.token("boss"), str(world.project),
                       {"assignment": {"strategy": "region", "regions": {"滨江区": [a]}}})
    assert saved["assignment"]["regions"] == {"滨江区": [a]}
