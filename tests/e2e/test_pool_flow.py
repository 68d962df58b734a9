"""The public pool over HTTP: release with a reason, claim by a colleague, scope."""

from __future__ import annotations

import uuid

import pytest

from cli.demo_data import PROJECTS
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])


def test_a_released_customer_waits_in_the_pool_until_a_colleague_claims_it(suite):
    phone = f"136{uuid.uuid4().int % 10**8:08d}"
    entered = suite.post("/api/leads", "hz.li", json={
        "name": "孙先生", "phone": phone, "channel": "walk_in", "project_id": HZ})
    assert entered.status_code == 201 and entered.json()["grade"] == "C"
    customer = entered.json()["customer_id"]
    eventually(lambda: suite.get(f"/api/customers/{customer}", "hz.li").ok)

    no_reason = suite.post(f"/api/customers/{customer}/release", "hz.li", json={})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    released = suite.post(f"/api/customers/{customer}/release", "hz.li",
                          json={"reason": "客户暂无购房计划"})
    assert released.status_code == 200 and released.json()["owner_id"] is None

    listed = suite.get("/api/pool", "hz.chen", params={"project_id": HZ}).json()["items"]
    assert customer in {c["customer_id"] for c in listed}
    assert customer not in {c["customer_id"] for c in suite.get("/api/pool", "sh.zhao")
                            .json()["items"]}
    assert suite.post(f"/api/pool/{customer}/claim", "sh.zhao").status_code == 404

    claimed = suite.post(f"/api/pool/{customer}/claim", "hz.chen")
    assert claimed.status_code == 200
    again = suite.post(f"/api/pool/{customer}/claim", "hz.wang")
    assert again.status_code == 409
    # The profile follows the pool: the new owner sees it, the old one no longer does.
    eventually(lambda: suite.get(f"/api/customers/{customer}", "hz.chen").ok)
    eventually(lambda: suite.get(f"/api/customers/{customer}", "hz.li").status_code == 404)


def test_project_rules_are_read_by_the_team_and_changed_by_the_director(suite):
    rules = suite.get(f"/api/projects/{HZ}/lead-settings", "mgr.hz")
    assert rules.status_code == 200 and rules.json()["pool"]["daily_claim_cap"] >= 0
    assert suite.get(f"/api/projects/{HZ}/lead-settings", "mgr.sh").status_code == 404
    body = rules.json()
    assert suite.put(f"/api/projects/{HZ}/lead-settings", "mgr.hz", json=body) \
        .status_code == 403
    bad = suite.put(f"/api/projects/{HZ}/lead-settings", "director",
                    json={**body, "default_grade": "Z"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "default_grade"
    assert suite.put(f"/api/projects/{HZ}/lead-settings", "director", json=body).ok
