"""Segments, a campaign, the one-click opt-out and a referral over HTTP, with the demo users."""

from __future__ import annotations

import uuid

import pytest
import requests

from cli.demo_data import PROJECTS
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

HZ, SH = str(PROJECTS["hz"][0]), str(PROJECTS["sh"][0])


def enter(suite, user: str, project: str, marker: str, **tags) -> str:
    """A lead entered by a consultant (who keeps it), tagged with this test's free tag."""
    phone = f"135{uuid.uuid4().int % 10**8:08d}"
    entered = suite.post("/api/leads", user, json={
        "name": "宋女士", "phone": phone, "channel": "walk_in", "project_id": project})
    assert entered.status_code == 201, entered.text
    customer = entered.json()["customer_id"]
    profile = eventually(lambda: suite.get(f"/api/customers/{customer}", user))
    edited = suite.send("PATCH", f"/api/customers/{customer}", user, None, json={
        "version": profile.json()["version"], "free_tags": [marker], "tags": tags})
    assert edited.status_code == 200, edited.text
    return customer


def test_a_segment_a_campaign_an_opt_out_and_a_referral(suite):
    marker = f"e2e-{uuid.uuid4().hex[:8]}"
    li = [enter(suite, "hz.li", HZ, marker, focus=["学区"]),
          enter(suite, "hz.li", HZ, marker)]
    chen = enter(suite, "hz.chen", HZ, marker, focus=["学区"])
    enter(suite, "sh.zhao", SH, marker)

    assert suite.get("/api/segments").status_code == 401
    saved = suite.post("/api/segments", "mgr.hz", json={
        "name": "开放日邀约", "filter": {"tags": [f":{marker}"]}})
    assert saved.status_code == 201, saved.text
    segment = saved.json()["id"]
    counts = {user: suite.get(f"/api/segments/{segment}/count", user).json()["count"]
              for user in ("hz.li", "hz.chen", "mgr.hz", "mgr.sh", "admin")}
    assert counts == {"hz.li": 2, "hz.chen": 1, "mgr.hz": 3, "mgr.sh": 1, "admin": 4}
    school = suite.post("/api/segments/count", "mgr.hz",
                        json={"tags": [f":{marker}", "focus:学区"], "tags_match": "all"})
    assert school.json()["count"] == 2
    mine = suite.get(f"/api/segments/{segment}/customers", "hz.li",
                     params={"page_size": 10}).json()
    assert {c["id"] for c in mine["items"]} == set(li)
    assert all(not c["phone_masked"] for c in mine["items"])

    bad = suite.post("/api/segments/count", "mgr.hz", json={"tags": ["focus:海景房"]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "tags.0"
    bad = suite.post("/api/segments", "mgr.hz", json={"name": "x",
                                                      "filter": {"stages": ["sold"]}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "filter.stages.0"
    bad = suite.get(f"/api/segments/{segment}/customers", "mgr.hz", params={"page": "one"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "page"

    # The customer asked by phone to hear no more: recorded by their consultant.
    recorded = suite.post(f"/api/customers/{li[1]}/marketing-opt-out", "hz.li",
                          json={"opt_out": True, "reason": "电话要求"})
    assert recorded.status_code == 200 and recorded.json()["marketing_opt_out"]
    assert suite.post(f"/api/customers/{li[1]}/marketing-opt-out", "hz.chen",
                      json={"opt_out": False}).status_code == 404

    campaign = {"segment_id": segment, "channel": "sms", "message": "周六样板间开放，欢迎莅临"}
    assert suite.post("/api/campaigns", "hz.li", json=campaign).status_code == 403
    started = suite.post("/api/campaigns", "mgr.hz", json=campaign)
    assert started.status_code == 201, started.text
    assert (started.json()["recipients"], started.json()["skipped_opted_out"]) == (2, 1)
    listed = suite.get(f"/api/campaigns/{started.json()['id']}/recipients", "mgr.hz").json()
    links = {r["customer_id"]: r["opt_out_path"] for r in listed["items"]}
    assert set(links) == {li[0], chen}

    # One click, no login; again changes nothing; a forged link is refused.
    page = requests.get(f"{suite.url}{links[chen]}", timeout=10)
    assert page.status_code == 200 and "退订" in page.text
    click = requests.post(f"{suite.url}{links[chen]}", timeout=10)
    assert click.status_code == 200 and click.json() == {"opted_out": True, "changed": True}
    again = requests.post(f"{suite.url}{links[chen]}", timeout=10)
    assert again.json() == {"opted_out": True, "changed": False}
    forged = links[chen][:-3] + ("AAA" if not links[chen].endswith("AAA") else "BBB")
    refused = requests.post(f"{suite.url}{forged}", timeout=10)
    assert refused.status_code == 404 and refused.json()["error"]["field"] == "token"
    assert suite.get(f"/api/customers/{chen}/marketing", "hz.chen").json()["marketing_opt_out"]

    # A WeChat campaign is handed to the consultants: hz.li is asked to send it to li[0].
    wechat = suite.post("/api/campaigns", "mgr.hz", json={
        "segment_id": segment, "channel": "wechat", "message": f"业主答谢会 {marker}"}).json()
    assert wechat["recipients"] == 1

    def delivered():
        items = suite.get("/api/campaigns", "mgr.hz").json()["items"]
        shown = next(c for c in items if c["id"] == wechat["id"])
        return shown["status"] == "delivered" and shown

    assert eventually(delivered)["delivered"] == 1
    notices = suite.get("/api/notifications", "hz.li").json()["items"]
    [asked] = [n for n in notices if n["kind"] == "campaign_forward" and marker in n["body"]]
    assert asked["title"] == "营销活动：请向您的 1 位客户发送"

    # 老带新: li[0] referred li[1]; the reward follows li[1]'s stage.
    referred = suite.put(f"/api/customers/{li[1]}/referrer", "hz.li",
                         json={"referrer_id": li[0]})
    assert referred.status_code == 200 and referred.json()["referral_reward"] == "none"
    cycle = suite.put(f"/api/customers/{li[0]}/referrer", "hz.li", json={"referrer_id": li[1]})
    assert cycle.status_code == 422 and cycle.json()["error"]["field"] == "referrer_id"
    assert suite.post(f"/api/customers/{li[1]}/stage", "hz.li",
                      json={"stage": "visited"}).ok

    def reward():
        items = suite.get(f"/api/customers/{li[0]}/referrals", "hz.li").json()["items"]
        return items and items[0]["referral_reward"] == "pending"

    eventually(reward)
