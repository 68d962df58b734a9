"""A consultant's day over HTTP: follow up, attach a photo, move the stage, edit the profile."""

from __future__ import annotations

import uuid

import pytest

from cli.demo_data import PROJECTS
from cli.settle import wait_settled
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 256


@pytest.fixture(scope="module")
def customer(suite) -> str:
    phone = f"134{uuid.uuid4().int % 10**8:08d}"
    lead = suite.post("/api/leads", "hz.wang", json={
        "name": "吴先生", "phone": phone, "channel": "walk_in", "project_id": HZ}).json()
    eventually(lambda: suite.get(f"/api/customers/{lead['customer_id']}", "hz.wang").ok)
    return lead["customer_id"]


def test_a_viewing_with_a_photo_and_a_stage_move(suite, customer):
    logged = suite.post(f"/api/customers/{customer}/followups", "hz.wang", json={
        "type": "viewing", "content": "带看样板间，太太很满意", "units": ["A户型"]})
    assert logged.status_code == 201
    photo = suite.post(f"/api/customers/{customer}/attachments", "hz.wang",
                       files={"file": ("样板间.png", PNG, "image/png")},
                       data={"followup_id": logged.json()["id"]})
    assert photo.status_code == 201, photo.text
    download = suite.get(f"/api/attachments/{photo.json()['id']}", "mgr.hz")
    assert download.content == PNG and download.headers["Content-Type"] == "image/png"
    assert suite.get(f"/api/attachments/{photo.json()['id']}", "hz.chen").status_code == 404
    fake = suite.post(f"/api/customers/{customer}/attachments", "hz.wang",
                      files={"file": ("合同.pdf", b"not a pdf at all", "application/pdf")})
    assert fake.status_code == 422 and fake.json()["error"]["field"] == "file"

    moved = suite.post(f"/api/customers/{customer}/stage", "hz.wang", json={"stage": "visited"})
    assert moved.status_code == 200 and moved.json()["stage_label"] == "首次接访"
    back = suite.post(f"/api/customers/{customer}/stage", "hz.wang", json={"stage": "new"})
    assert back.status_code == 422 and back.json()["error"]["field"] == "stage"


def test_profile_edits_refuse_a_stale_version(suite, customer):
    current = suite.get(f"/api/customers/{customer}", "hz.wang").json()
    edited = suite.send("PATCH", f"/api/customers/{customer}", "hz.wang",
                        {"If-Match": str(current["version"])},
                        json={"layouts": ["三室两厅"], "tags": {"focus": ["学区"]}})
    assert edited.status_code == 200 and edited.json()["version"] == current["version"] + 1
    stale = suite.send("PATCH", f"/api/customers/{customer}", "mgr.hz", None,
                       json={"version": current["version"], "purpose": "investment"})
    assert stale.status_code == 409 and stale.json()["error"]["field"] == "version"
    found = suite.get("/api/customers", "hz.wang", params={"tag": "focus:学区"}).json()
    assert customer in {c["id"] for c in found["items"]}


def test_a_lead_s_wishes_start_the_profile_and_managers_rank_completeness(suite, customer):
    phone = f"134{uuid.uuid4().int % 10**8:08d}"
    lead = suite.post("/api/leads", "hz.wang", json={
        "name": "孙女士", "phone": phone, "channel": "referral", "project_id": HZ,
        "sub_source": "业主推荐", "referrer_customer_id": customer,
        "budget_min": 4_000_000, "layout": "四室", "purpose": "upgrade"}).json()
    shown = eventually(lambda: suite.get(f"/api/customers/{lead['customer_id']}", "hz.wang"))
    profile = shown.json()
    assert profile["portrait"]["layouts"] == ["四室"] and profile["missing_required"] == []
    assert (profile["sub_source"], profile["referrer_id"]) == ("业主推荐", customer)

    fields = suite.get(f"/api/projects/{HZ}/profile-fields", "hz.wang").json()
    assert fields["required"] == ["budget", "layouts", "purpose"] and fields["standard"]
    assert suite.put(f"/api/projects/{HZ}/profile-fields", "hz.wang",
                     json=fields).status_code == 403
    refused = suite.put(f"/api/projects/{HZ}/profile-fields", "director",
                        json={"required": ["salary"], "optional": []})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "required.0"
    assert "details" not in refused.json()["error"]   # none invented on the way

    ranking = suite.get("/api/customers/completeness", "mgr.hz",
                        params={"project_id": HZ}).json()["items"]
    wang = next(r for r in ranking if r["owner_id"] == lead["owner_id"])
    assert wang["owner_name"] and wang["customers"] >= 1
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    [own] = suite.get("/api/customers/completeness", "hz.wang").json()["items"]
    assert own["owner_id"] == lead["owner_id"]


def test_a_spouse_s_number_finds_the_same_customer(suite, customer, infra):
    spouse = f"135{uuid.uuid4().int % 10**8:08d}"
    added = suite.post(f"/api/customers/{customer}/phones", "hz.wang",
                       json={"phone": spouse, "label": "配偶"})
    assert added.status_code == 200, added.text
    assert [p["phone"] for p in added.json()["phones"]] == [spouse]
    assert suite.get(f"/api/customers/{customer}", "mgr.hz").json()["phones"][0]["masked"]

    assert wait_settled(infra)   # the leads service has heard of the number
    duplicate = suite.post("/api/leads", "mgr.hz", json={
        "name": "吴太太", "phone": f"+86 {spouse}", "channel": "douyin", "project_id": HZ}).json()
    assert duplicate["status"] == "duplicate"
    assert duplicate["customer_id"] == customer
    taken = suite.post(f"/api/customers/{customer}/phones", "hz.wang",
                       json={"phone": "not a phone"})
    assert taken.status_code == 422 and taken.json()["error"]["field"] == "phone"
