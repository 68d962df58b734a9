"""Privacy over HTTP: consents, the audited export, a merge, and a person who asks for a copy
of their data and then to be forgotten (PIPL Art. 45 and 47)."""

from __future__ import annotations

import uuid

import pytest

from cli.demo_data import PROJECTS
from kit.crypto import Vault
from tests import privacy_scan
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])


def unique_phone() -> str:
    return f"135{uuid.uuid4().int % 10**8:08d}"


def entered(suite, who: str, phone: str, name: str) -> str:
    answer = suite.post("/api/leads", who, json={"name": name, "phone": phone,
                                                 "channel": "walk_in", "project_id": HZ})
    assert answer.status_code == 201, answer.text
    customer = answer.json()["customer_id"]
    eventually(lambda: suite.get(f"/api/customers/{customer}", who).ok, timeout=60)
    return customer


def test_consents_the_export_and_a_merge_over_http(suite):
    first = entered(suite, "hz.chen", unique_phone(), "钱合并")
    second = entered(suite, "hz.chen", unique_phone(), "钱合并")

    consent = suite.post(f"/api/customers/{first}/consents", "hz.chen",
                         json={"purpose": "marketing", "granted": False, "channel": "sms"})
    assert consent.status_code == 201 and consent.json()["marketing_opt_out"] is True
    bad = suite.post(f"/api/customers/{first}/consents", "hz.chen",
                     json={"purpose": "marketing", "granted": False, "channel": "fax"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "channel"
    assert suite.post(f"/api/customers/{first}/consents", "hz.li", json={
        "purpose": "marketing", "granted": True, "channel": "sms"}).status_code == 404
    history = suite.get(f"/api/customers/{first}/consents", "mgr.hz").json()
    assert history["marketing_opt_out"] is True and len(history["items"]) == 1

    assert suite.post("/api/customers/export", "hz.chen",
                      json={"reason": "自己看看"}).status_code == 403
    masked = suite.post("/api/customers/export", "mgr.hz",
                        json={"reason": "月度盘点", "q": "钱合并"})
    assert masked.status_code == 200 and masked.json()["count"] == 2
    assert all("****" in row["phone"] for row in masked.json()["items"])
    shown = suite.post("/api/customers/export", "admin", json={"reason": "监管报送",
                                                               "q": "钱合并"}).json()
    assert shown["phones_revealed"] and all("*" not in r["phone"] for r in shown["items"])

    request = {"survivor_id": first, "merged_id": second, "reason": "同一客户两个号码"}
    assert suite.post("/api/customers/merges", "hz.chen", json=request).status_code == 403
    merged = suite.post("/api/customers/merges", "mgr.hz", json=request)
    assert merged.status_code == 201, merged.text
    again = suite.post("/api/customers/merges", "mgr.hz", json=request)
    assert again.status_code == 200 and again.json()["id"] == merged.json()["id"]
    listed = {c["id"] for c in suite.get("/api/customers", "hz.chen",
                                         params={"q": "钱合并"}).json()["items"]}
    assert listed == {first}
    explained = suite.get(f"/api/customers/{second}/merges", "hz.chen").json()
    assert explained["merged_into"] == first and explained["items"][0]["summary"]["moved"]


def test_a_person_gets_a_copy_of_their_data_and_then_is_forgotten(suite, infra, engine):
    phone, name = unique_phone(), "孙删除"
    customer = entered(suite, "hz.li", phone, name)
    assert suite.post(f"/api/customers/{customer}/followups", "hz.li", json={
        "type": "call", "content": f"{name}周末看房"}).status_code == 201
    eventually(lambda: suite.get("/api/tasks", "hz.li",
                                 params={"customer_id": customer}).json()["items"], timeout=60)

    ask = {"kind": "export", "phone": phone, "reason": "本人申请查阅 (PIPL 第45条)"}
    assert suite.post("/api/privacy/requests", "hz.li", json=ask).status_code == 403
    bad = suite.post("/api/privacy/requests", "admin", json={"kind": "export",
                                                             "reason": "本人申请查阅"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"
    copy = suite.post("/api/privacy/requests", "admin", json=ask)
    assert copy.status_code == 200, copy.text
    services = copy.json()["services"]
    assert set(services) == {"customers", "leads", "tasks", "analytics", "directory",
                             "service_desk"}
    assert services["customers"]["records"]["profiles"][0]["phone"] == phone
    assert services["leads"]["records"]["leads"][0]["phone"] == phone
    assert services["tasks"]["records"]["tasks"]
    assert services["analytics"]["holds_personal_data"] is False

    erase = suite.post("/api/privacy/requests", "admin", json={
        "kind": "erase", "customer_id": customer, "reason": "本人来函要求删除 (PIPL 第47条)"})
    assert erase.status_code == 202, erase.text
    assert erase.json()["erased_now"] == [customer]
    profile = suite.get(f"/api/customers/{customer}", "hz.li").json()
    assert profile["name"] == "已删除" and phone not in profile["phone"]

    vault = Vault.from_settings(infra)
    numbers = ["+86" + phone]

    def nothing_left() -> bool:
        with engine.connect() as conn:
            return not (privacy_scan.plaintext(conn, numbers)
                        or privacy_scan.sealed(conn, vault, numbers)
                        or privacy_scan.blind_indexes(conn, vault, numbers)
                        or privacy_scan.matches(conn, name))

    eventually(nothing_left, timeout=60, every=1)
    again = suite.post("/api/privacy/requests", "admin", json={
        "kind": "erase", "phone": phone, "reason": "本人再次来函"})
    assert again.status_code == 202 and again.json()["subject"]["customer_ids"] == []
