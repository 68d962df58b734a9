"""报备 and 判客 over HTTP: the agent registers, the customer walks in, the ruling explains."""

from __future__ import annotations

import uuid

import pytest

from cli.demo_data import PROJECTS, demo_id

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])


def test_a_registered_customer_who_walks_in_is_attributed_to_the_agent(suite):
    phone = f"135{uuid.uuid4().int % 10**8:08d}"
    registered = suite.post("/api/registrations", "agent", json={
        "name": "钱女士", "phone": phone, "project_id": HZ, "agency": "链家滨江店"})
    assert registered.status_code == 201, registered.text
    assert registered.json()["phone"] == f"{phone[:3]}****{phone[-4:]}"

    walk_in = suite.post("/api/leads", "mgr.hz", json={
        "name": "钱女士", "phone": phone, "channel": "walk_in", "project_id": HZ})
    assert walk_in.status_code == 201
    rulings = suite.get(f"/api/customers/{walk_in.json()['customer_id']}/rulings", "mgr.hz")
    [decision] = rulings.json()["items"]
    assert decision["attributed_to"] == str(demo_id("user:agent"))
    assert "protected until" in decision["reason"]
    assert suite.get(f"/api/customers/{walk_in.json()['customer_id']}/rulings",
                     "mgr.sh").status_code == 404

    mine = suite.get("/api/registrations", "agent").json()["items"]
    assert any(r["id"] == registered.json()["id"] and r["status"] == "visited" for r in mine)


def test_a_consultant_cannot_register_and_bad_phones_name_the_field(suite):
    assert suite.post("/api/registrations", "hz.chen", json={
        "name": "甲", "phone": "13900000001", "project_id": HZ}).status_code == 403
    bad = suite.post("/api/registrations", "agent", json={
        "name": "甲", "phone": "12", "project_id": HZ})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"
