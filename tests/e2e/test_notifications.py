"""Notifications over HTTP: the demo admin points overdue notices at a WeCom robot (a real
local HTTP server standing in for it) and a test notice arrives there and in the inbox."""

from __future__ import annotations

import pytest

from tests.standins import StandIn
from tests.waiting import eventually

pytestmark = pytest.mark.e2e


def test_a_test_notice_reaches_the_configured_wecom_robot_and_the_inbox(suite):
    with StandIn() as robot:
        try:
            configured = suite.put("/api/notification-settings", "admin", json={
                "channels": {"wecom": {"url": f"{robot.url}/cgi-bin/webhook/send?key=E2EKEY"}},
                "routes": {"task_overdue": ["inbox", "wecom"]}})
            assert configured.status_code == 200, configured.text
            assert "E2EKEY" not in configured.text
            assert configured.headers["Cache-Control"] == "no-store"
            assert configured.json()["routes"] == {"task_overdue": ["inbox", "wecom"]}

            sent = suite.post("/api/notifications/test", "admin", json={"kind": "task_overdue"})
            assert sent.status_code == 202, sent.text
            assert sent.json()["channels"] == ["inbox", "wecom"]
            eventually(lambda: robot.received)
        finally:
            suite.put("/api/notification-settings", "admin",
                      json={"channels": {"wecom": None}, "routes": {}})
    [received] = robot.received
    assert received.query == {"key": "E2EKEY"}
    assert received.text.startswith("【客源】测试通知")

    notice_id = sent.json()["notification_id"]
    inbox = suite.get("/api/notifications", "admin", params={"unread": "true"}).json()
    assert notice_id in {n["id"] for n in inbox["items"]} and inbox["unread"] >= 1
    read = suite.post(f"/api/notifications/{notice_id}/read", "admin")
    assert read.status_code == 200 and read.json()["read"] is True
    after = suite.get("/api/notifications", "admin").json()
    assert after["unread"] == inbox["unread"] - 1

    # Nobody else sees it or can read it.
    theirs = suite.get("/api/notifications", "hz.chen").json()["items"]
    assert notice_id not in {n["id"] for n in theirs}
    assert suite.post(f"/api/notifications/{notice_id}/read", "hz.chen").status_code == 404


def test_bad_notification_settings_are_refused_naming_the_field(suite):
    refused = suite.put("/api/notification-settings", "admin",
                        json={"routes": {"escalation": ["sms"]}})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "routes.escalation"
    bad_url = suite.put("/api/notification-settings", "admin",
                        json={"channels": {"dingtalk": {"url": "not a url"}}})
    assert bad_url.status_code == 422
    assert bad_url.json()["error"]["field"] == "channels.dingtalk.url"
    not_admin = suite.put("/api/notification-settings", "mgr.hz", json={"routes": {}})
    assert not_admin.status_code == 403
    assert suite.get("/api/notification-settings", "hz.chen").status_code == 403
    assert suite.post("/api/notifications/read-all", "hz.chen").status_code == 200
    assert suite.get("/api/notifications", "hz.chen",
                     params={"page_size": "0"}).json()["error"]["field"] == "page_size"
