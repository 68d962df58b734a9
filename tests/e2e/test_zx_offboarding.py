"""A consultant's departure (离职交接) through the gateway, with the demo company: hz.chen,
who owns customers with open tasks, is named on an open offer (抢单), stands in the walk-in
rotation and owns a customer an agent registered (报备), is offboarded round-robin by the
team's manager. Afterwards each of their customers has exactly one new owner in the team,
open tasks went with them, deadlines kept, no offer names them, the registration still
protects its agent, every customer's history says why it moved, and hz.chen's old token is
refused by the gateway and by a direct RPC. Then a bulk
reassignment (批量转移).

Runs late (test_zx_*: before the plaintext scan and the shutdown only), because hz.chen is
inactive from here on."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from cli.demo_data import PROJECTS, demo_id
from contracts.errors import Unauthenticated
from kit.rpc_client import RpcClient
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])
CHEN, LI, WANG = (str(demo_id(f"user:{u}")) for u in ("hz.chen", "hz.li", "hz.wang"))
MANAGER, AGENT = str(demo_id("user:mgr.hz")), str(demo_id("user:agent"))


def phone() -> str:
    return f"137{uuid.uuid4().int % 10**8:08d}"


def all_pages(suite, path: str, user: str, **params) -> list[dict]:
    items, page = [], 1
    while True:
        answer = suite.get(path, user, params={**params, "page": page, "page_size": 200})
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        if page * 200 >= answer.json()["total"]:
            return items
        page += 1


def lead(suite, user: str, number: str, name: str = "离职测") -> dict:
    made = suite.post("/api/leads", user, headers={"Idempotency-Key": str(uuid.uuid4())},
                      json={"name": name, "phone": number, "channel": "walk_in",
                            "project_id": HZ})
    assert made.status_code in (200, 201), made.text
    return made.json()


@pytest.fixture
def offered(suite):
    """A new customer offered (抢单) to the project's on-duty consultants, hz.chen among
    them; the project's rules are back as they were afterwards."""
    rules = suite.get(f"/api/projects/{HZ}/lead-settings", "director").json()
    grab = {**rules, "assignment": {**rules["assignment"], "strategy": "grab",
                                    "grab_window_minutes": 120}}
    assert suite.put(f"/api/projects/{HZ}/lead-settings", "director", json=grab).ok
    try:
        customer = lead(suite, "mgr.hz", phone(), "抢单客")["customer_id"]
    finally:
        assert suite.put(f"/api/projects/{HZ}/lead-settings", "director", json=rules).ok
    return customer


def test_a_departure_hands_every_customer_to_the_team_and_keeps_what_must_stay(
        suite, engine, infra, offered):
    # --- before: what hz.chen holds ------------------------------------------------------
    assert offered in {o["customer_id"] for o in suite.get("/api/offers", "hz.chen")
                       .json()["items"]}
    registered_phone = phone()
    registration = suite.post("/api/registrations", "agent", json={
        "name": "报备客", "phone": registered_phone, "project_id": HZ, "agency": "链家滨江店"})
    assert registration.status_code == 201, registration.text
    registered = lead(suite, "hz.chen", registered_phone, "报备客")["customer_id"]
    mine = [registered] + [lead(suite, "hz.chen", phone())["customer_id"] for _ in range(3)]
    assert suite.post(f"/api/projects/{HZ}/reception/join", "hz.chen").ok
    eventually(lambda: all(suite.get(f"/api/tasks?customer_id={c}", "hz.chen").json()["items"]
                           for c in mine), timeout=60)
    held = {c["id"] for c in all_pages(suite, "/api/customers", "mgr.hz", owner_id=CHEN)}
    assert set(mine) <= held
    tasks_before = {t["id"]: t for t in all_pages(suite, "/api/tasks", "hz.chen",
                                                  status="open")}
    assert {t["customer_id"] for t in tasks_before.values()} >= set(mine)
    protection = next(r for r in suite.get("/api/registrations", "agent").json()["items"]
                      if r["id"] == registration.json()["id"])
    assert protection["status"] == "visited"

    # --- who may not, and plans that may not be -------------------------------------------
    url = f"/api/users/{CHEN}/offboard"
    assert suite.post(url, "hz.li", json={"mode": "round_robin"}).status_code == 403
    assert suite.post(url, "mgr.sh", json={"mode": "round_robin"}).status_code == 404
    assert suite.post(f"/api/users/{MANAGER}/offboard", "mgr.hz",
                      json={"mode": "pool"}).status_code == 403
    outside = suite.post(url, "mgr.hz", json={"mode": "colleague",
                                              "to_user_id": str(demo_id("user:sh.zhao"))})
    assert outside.status_code == 422 and outside.json()["error"]["field"] == "to_user_id"
    nested = suite.post(url, "mgr.hz", json={"mode": "pool", "projects": {
        HZ: {"mode": "colleague", "to_user_id": MANAGER}}})
    assert nested.status_code == 422
    assert nested.json()["error"]["field"] == f"projects.{HZ}.to_user_id"
    assert suite.get(url, "mgr.hz").status_code == 404            # nothing happened
    assert suite.get("/api/me", "hz.chen").status_code == 200

    # --- the departure ----------------------------------------------------------------------
    started = suite.post(url, "mgr.hz", json={"mode": "round_robin"})
    assert started.status_code == 202, started.text
    again = suite.post(url, "mgr.hz", json={"mode": "round_robin"})
    assert again.status_code == 202 and again.json()["id"] == started.json()["id"]
    assert suite.post(url, "mgr.hz", json={"mode": "pool"}).status_code == 409
    done = eventually(lambda: (lambda s: s if s["done"] else None)(
        suite.get(url, "mgr.hz").json()), timeout=120)
    assert done["total"] >= len(held) and done["moved"] + done["skipped"] == done["total"]
    [project] = done["projects"]
    assert project["project_id"] == HZ and set(project["owners"]) <= {LI, WANG}
    assert suite.get(url, "director").json()["id"] == started.json()["id"]
    assert suite.get(url, "mgr.sh").status_code == 404

    # --- the leaver's old token ends everywhere, not at its expiry --------------------------
    old = suite.token("hz.chen")          # the token hz.chen used above
    for path in ("/api/me", "/api/customers", "/api/tasks", "/api/offers", "/api/pool"):
        refused = eventually(lambda p=path: (r := suite.get(p, "hz.chen")).status_code == 401
                             and r.json(), timeout=15)
        assert refused["error"]["code"] == "unauthenticated", path
    rpc = RpcClient(infra.amqp_uri, pool_size=1)
    try:
        for service, method in (("customers", "list"), ("tasks", "list"), ("leads", "pool")):
            with pytest.raises(Unauthenticated):
                rpc.call(service, method, old)
    finally:
        rpc.close()
    relogin = suite.post("/api/auth/login", json={"username": "hz.chen",
                                                  "password": "Keyuan@2026"})
    assert relogin.status_code == 401

    # --- every customer: one new owner in the team, and why on the history ------------------
    def followed():
        return not all_pages(suite, "/api/customers", "mgr.hz", owner_id=CHEN)
    eventually(followed, timeout=60)
    owners = {}
    for customer in held:
        shown = suite.get(f"/api/customers/{customer}", "mgr.hz").json()
        assert shown["owner_id"] in (LI, WANG)
        owners[customer] = shown["owner_id"]
        history = eventually(lambda c=customer: [
            e for e in suite.get(f"/api/customers/{c}/history", "mgr.hz").json()["items"]
            if e["changes"].get("reason") == "离职交接"], timeout=30)
        assert len(history) == 1
        assert history[0]["changes"]["owner_id"] == [CHEN, shown["owner_id"]]
        assert history[0]["actor_id"] == MANAGER
    assert {LI, WANG} == set(owners.values())       # spread, not all to one
    with engine.connect() as conn:
        moves = dict(conn.execute(text(
            "SELECT customer_id::text, count(*) FROM leads.pool_actions WHERE "
            "action = 'handover' AND customer_id = ANY(:ids) GROUP BY customer_id"),
            {"ids": [uuid.UUID(c) for c in held]}).all())
    assert moves == {c: 1 for c in held}

    # --- open tasks went with them, deadlines kept ------------------------------------------
    def tasks_followed():
        now = {t["id"]: t for c in {t["customer_id"] for t in tasks_before.values()}
               for t in suite.get(f"/api/tasks?customer_id={c}", "mgr.hz").json()["items"]}
        return now if all(now[i]["owner_id"] == owners[t["customer_id"]]
                          for i, t in tasks_before.items()
                          if now[i]["status"] == "open") else None
    now = eventually(tasks_followed, timeout=60)
    for task_id, before in tasks_before.items():
        assert now[task_id]["due_at"] == before["due_at"]
        assert now[task_id]["status"] in ("open", "done")   # moved, not cancelled

    # --- no offer names them; the rotation dropped them; the registration holds -------------
    assert offered in {o["customer_id"] for o in suite.get("/api/offers", "hz.li")
                       .json()["items"]}
    with engine.connect() as conn:
        named = conn.execute(text("SELECT count(*) FROM leads.offers WHERE status = 'open' "
                                  "AND :u = ANY(candidate_ids)"), {"u": uuid.UUID(CHEN)})
        assert named.scalar() == 0
    line = suite.get(f"/api/projects/{HZ}/reception", "mgr.hz").json()["items"]
    assert CHEN not in {s["user_id"] for s in line}
    still = next(r for r in suite.get("/api/registrations", "agent").json()["items"]
                 if r["id"] == registration.json()["id"])
    assert still == protection
    back = lead(suite, "mgr.hz", registered_phone, "报备客")
    assert back["status"] == "duplicate" and back["customer_id"] == registered
    assert back["owner_id"] == owners[registered]
    rulings = suite.get(f"/api/customers/{registered}/rulings", "mgr.hz").json()["items"]
    assert rulings[-1]["attributed_to"] == AGENT


def test_a_manager_moves_customers_in_bulk_once_and_nobody_else_may(suite):
    moving = [lead(suite, "hz.li", phone())["customer_id"] for _ in range(2)]
    eventually(lambda: all(suite.get(f"/api/customers/{c}", "mgr.hz").ok for c in moving),
               timeout=60)
    body = {"customer_ids": moving, "mode": "colleague", "to_user_id": WANG}
    assert suite.post("/api/customers/reassign", "mgr.sh", json=body).status_code == 404
    assert suite.post("/api/customers/reassign", "hz.li", json=body).status_code == 403
    key = {"Idempotency-Key": str(uuid.uuid4())}
    job = suite.post("/api/customers/reassign", "mgr.hz", json=body, headers=key)
    assert job.status_code == 202, job.text
    again = suite.post("/api/customers/reassign", "mgr.hz", json=body, headers=key)
    assert again.json()["id"] == job.json()["id"]
    reassignment = f"/api/reassignments/{job.json()['id']}"
    eventually(lambda: suite.get(reassignment, "mgr.hz").json()["done"], timeout=60)
    assert suite.get(reassignment, "mgr.sh").status_code == 404
    for customer in moving:
        eventually(lambda c=customer: suite.get(f"/api/customers/{c}", "hz.wang").ok,
                   timeout=60)
        reasons = [e["changes"].get("reason") for e in
                   suite.get(f"/api/customers/{customer}/history", "hz.wang").json()["items"]]
        assert reasons.count("批量转移") == 1
        assert suite.get(f"/api/customers/{customer}", "hz.li").status_code == 404
