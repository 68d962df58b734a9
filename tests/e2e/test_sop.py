"""A project's SOP over HTTP: read by the team, replaced by the director, validated."""

from __future__ import annotations

import pytest

from cli.demo_data import PROJECTS

pytestmark = pytest.mark.e2e

SH = str(PROJECTS["sh"][0])


def test_the_director_replaces_the_sop_and_a_bad_one_names_the_field(suite):
    shipped = suite.get(f"/api/projects/{SH}/sop", "mgr.sh")
    assert shipped.status_code == 200
    stages = {s["stage"]: s for s in shipped.json()["stages"]}
    assert stages["new"]["tasks"][0]["due_after"] == "15m"
    assert suite.put(f"/api/projects/{SH}/sop", "mgr.sh", json=shipped.json()).status_code \
        == 403
    broken = {**shipped.json(), "closes": "25:00"}
    bad = suite.put(f"/api/projects/{SH}/sop", "director", json=broken)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "closes"
    assert suite.put(f"/api/projects/{SH}/sop", "director", json=shipped.json()).ok
