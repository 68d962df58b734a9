"""Directory administration through the real gateway: an admin builds a project, a team with
its manager and three consultants; each changes the initial password at first login, then
works and receives the new project's leads. Refusals change nothing."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from cli.demo_data import demo_id
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

INITIAL = "Jade7river42"


def unique_phone() -> str:
    return f"136{uuid.uuid4().int % 10**8:08d}"


def created(answer, status=201) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def refusal(answer, status: int, field: str | None) -> dict:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field, error
    return error


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_builds_a_project_whose_new_consultants_change_passwords_and_get_leads(suite):
    tag = uuid.uuid4().hex[:6]
    key = str(uuid.uuid4())
    body = {"name": f"西溪湿地{tag}", "city": "杭州", "districts": ["西湖区", "余杭区"]}
    project = created(suite.post("/api/projects", "admin", json=body,
                                 headers={"Idempotency-Key": key}))
    retried = created(suite.post("/api/projects", "admin", json=body,
                                 headers={"Idempotency-Key": key}), status=200)
    assert retried["id"] == project["id"] and project["districts"] == ["西湖区", "余杭区"]
    listed = suite.get("/api/projects", "admin", params={"q": tag}).json()
    assert [p["id"] for p in listed["items"]] == [project["id"]]

    manager = created(suite.post("/api/users", "admin", json={
        "username": f"mgr.{tag}", "name": "新项目经理", "role": "manager", "password": INITIAL,
        "project_ids": [project["id"]]}))
    team = created(suite.post("/api/teams", "admin", json={
        "name": f"西溪一组{tag}", "project_id": project["id"], "manager_id": manager["id"]}))
    assert team["manager_id"] == manager["id"] and team["project_id"] == project["id"]

    consultants = {}
    for n in range(3):
        user = created(suite.post("/api/users", "admin", headers={
            "Idempotency-Key": str(uuid.uuid4())}, json={
            "username": f"xx{n}.{tag}", "name": f"顾问{n}", "role": "consultant",
            "password": INITIAL, "team_id": team["id"]}))
        assert user["must_change_password"] and user["effective_project_ids"] == [
            project["id"]]
        consultants[user["id"]] = user["username"]

    tokens = {}
    for user_id, username in consultants.items():
        first = suite.post("/api/auth/login", json={"username": username, "password": INITIAL})
        assert first.status_code == 200 and first.json()["must_change_password"] is True
        change_only = first.json()["token"]
        refusal(requests.get(f"{suite.url}/api/me", headers=bearer(change_only), timeout=10),
                403, "password")
        refusal(requests.get(f"{suite.url}/api/customers", headers=bearer(change_only),
                             timeout=10), 403, "password")
        chosen = f"Harbour{tag}9x"
        changed = requests.post(f"{suite.url}/api/me/password", headers=bearer(change_only),
                                json={"old_password": INITIAL, "new_password": chosen},
                                timeout=15)
        assert changed.status_code == 200, changed.text
        assert changed.json()["must_change_password"] is False
        tokens[user_id] = changed.json()["token"]
        me = requests.get(f"{suite.url}/api/me", headers=bearer(tokens[user_id]), timeout=10)
        assert me.status_code == 200 and me.json()["id"] == user_id
        assert me.json()["project_ids"] == [project["id"]]
        again = suite.post("/api/auth/login", json={"username": username, "password": chosen})
        assert again.json()["must_change_password"] is False

    # Once the leads service has the project and its consultants (their facts travel by
    # events), the project's leads are assigned round-robin among the three.
    def a_lead_for_them():
        answer = suite.post("/api/leads", "admin", headers={"Idempotency-Key": str(uuid.uuid4())},
                            json={"name": "新客户", "phone": unique_phone(), "channel": "douyin",
                                  "project_id": project["id"]})
        if answer.status_code == 201 and answer.json()["owner_id"] in consultants:
            return answer.json()
        time.sleep(0.5)
        return None

    leads = [eventually(a_lead_for_them, timeout=60)]
    for _ in range(2):
        leads.append(created(suite.post(
            "/api/leads", "admin", headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"name": "新客户", "phone": unique_phone(), "channel": "douyin",
                  "project_id": project["id"]})))
    assert {lead["owner_id"] for lead in leads} == set(consultants)

    lead = leads[0]

    def owner_sees_it():
        answer = requests.get(f"{suite.url}/api/customers/{lead['customer_id']}",
                              headers=bearer(tokens[lead["owner_id"]]), timeout=10)
        return answer.status_code == 200 and answer.json()

    assert eventually(owner_sees_it)["owner_id"] == lead["owner_id"]
    # Their manager reads the team and its people; another manager does not.
    manager_login = suite.post("/api/auth/login", json={
        "username": manager["username"], "password": INITIAL}).json()
    manager_token = requests.post(f"{suite.url}/api/me/password",
                                  headers=bearer(manager_login["token"]), timeout=15,
                                  json={"old_password": INITIAL,
                                        "new_password": f"Pavilion{tag}7"}).json()["token"]
    people = requests.get(f"{suite.url}/api/users", headers=bearer(manager_token), timeout=10)
    assert {u["id"] for u in people.json()["items"]} == {*consultants, manager["id"]}
    assert suite.get(f"/api/teams/{team['id']}", "mgr.hz").status_code == 404
    # No password of theirs was written to any process's log.
    log = suite.log.read_text(errors="replace")
    assert INITIAL not in log and f"Harbour{tag}9x" not in log


def test_refusals_name_the_field_and_change_nothing(suite):
    admin_id = str(demo_id("user:admin"))
    hz_team = str(demo_id("team:hz"))
    sh_team = str(demo_id("team:sh"))
    chen = str(demo_id("user:hz.chen"))
    users_before = suite.get("/api/users", "admin", params={"page_size": 200}).json()

    refusal(suite.get(f"/api/users/{uuid.uuid4()}", "admin"), 404, "user_id")
    refusal(suite.send("PATCH", f"/api/teams/{uuid.uuid4()}", "admin", None,
                       json={"name": "x"}), 404, "team_id")
    refusal(suite.get(f"/api/projects/{uuid.uuid4()}", "director"), 404, "project_id")
    # A manager administers no team (their own: read only), and sees no other team.
    refusal(suite.send("PATCH", f"/api/teams/{sh_team}", "mgr.hz", None,
                       json={"name": "改名"}), 403, None)
    refusal(suite.get(f"/api/teams/{sh_team}", "mgr.hz"), 404, "team_id")
    refusal(suite.get(f"/api/users/{demo_id('user:sh.zhao')}", "mgr.hz"), 404, "user_id")
    assert suite.get(f"/api/teams/{hz_team}", "mgr.hz").json()["name"] == "滨江壹号销售一组"
    refusal(suite.post(f"/api/users/{chen}/password", "mgr.hz", json={"password": INITIAL}),
            403, None)
    # A consultant administers nothing at all.
    for method, path in (("GET", "/api/users"), ("GET", "/api/teams"), ("GET", "/api/projects"),
                         ("POST", "/api/projects"), ("POST", "/api/users"),
                         ("PATCH", f"/api/users/{chen}")):
        body = {"name": "x", "city": "杭州"} if method != "GET" else None
        refusal(suite.send(method, path, "hz.chen", None, json=body), 403, None)
    refusal(suite.post("/api/users", "admin", json={
        "username": "hz.chen", "name": "重名", "role": "consultant", "password": INITIAL,
        "team_id": hz_team}), 409, "username")
    refusal(suite.post("/api/users", "admin", json={
        "username": "weak.one", "name": "弱密码", "role": "consultant",
        "password": "password123", "team_id": hz_team}), 422, "password")
    refusal(suite.send("PATCH", f"/api/users/{admin_id}", "admin", None,
                       json={"role": "director"}), 409, "role")
    refusal(suite.send("PATCH", f"/api/users/{admin_id}", "admin", None,
                       json={"active": False}), 409, "active")
    refusal(suite.post("/api/me/password", "hz.li", json={
        "old_password": "Wrong7password", "new_password": "Harbour2026x"}), 422, "old_password")

    assert suite.get("/api/users", "admin", params={"page_size": 200}).json() == users_before
    assert suite.get("/api/me", "admin").json()["role"] == "admin"
    assert suite.post("/api/auth/login", json={"username": "hz.li",
                                               "password": "Keyuan@2026"}).status_code == 200
