"""The desk at 1440 px (screenshots at 375 px too): an admin creates a user, a refusal shows
at its field, resets the password and the user signs in with it and must change it, then
the admin deactivates them; a
manager offboards a consultant to a colleague and watches the counts finish; a manager
moves two customers to a colleague, who then has them; a consultant cannot reach the desk
(the page says not found, the API refuses). Every desk page passes axe-core at both widths."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.waiting import eventually
from tests.web.conftest import DESK, PHONE, new_phone
from tests.web.test_pages import audited, serious_violations  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

INITIAL = "Lantern42river"


def at_desk(app) -> None:
    app.page.set_viewport_size(DESK)


def shoot(app, name: str) -> None:
    app.shoot(name)          # 375 and 1440 px; it leaves the phone's size behind
    at_desk(app)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def change_password(suite, username: str, old: str, new: str) -> str:
    """The first sign-in's change (POST /api/me/password with the change-only token)."""
    first = suite.post("/api/auth/login", json={"username": username, "password": old})
    assert first.status_code == 200 and first.json()["must_change_password"], first.text
    changed = requests.post(f"{suite.url}/api/me/password", headers=bearer(first.json()["token"]),
                            json={"old_password": old, "new_password": new}, timeout=15)
    assert changed.status_code == 200, changed.text
    return changed.json()["token"]


def sign_in_as(app, username: str, password: str):
    page = app.go("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_response(re.compile(r"/api/web/session$")) as signed:
        page.get_by_role("button", name="登录").click()
    return signed.value


def hz_team(suite) -> dict:
    team_id = suite.get("/api/me", "mgr.hz").json()["team_id"]
    return suite.get(f"/api/teams/{team_id}", "admin").json()


def new_consultant(suite, tag: str, name: str) -> tuple[dict, str]:
    """A consultant of the 滨江 team who changed their initial password: (user, token)."""
    made = suite.post("/api/users", "admin", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "username": f"leaver.{tag}", "name": name, "role": "consultant", "password": INITIAL,
        "team_id": hz_team(suite)["id"]})
    assert made.status_code == 201, made.text
    return made.json(), change_password(suite, f"leaver.{tag}", INITIAL, f"Harbour{tag}9x")


def own_lead(suite, token: str, name: str) -> str:
    """A lead a consultant enters themselves (they keep it): the customer's id."""
    project = requests.get(f"{suite.url}/api/me/projects", headers=bearer(token),
                           timeout=10).json()["items"][0]["id"]
    made = requests.post(f"{suite.url}/api/leads", timeout=15, headers={
        **bearer(token), "Idempotency-Key": str(uuid.uuid4())}, json={
        "name": name, "phone": new_phone(), "channel": "walk_in", "project_id": project})
    assert made.status_code in (200, 201), made.text
    return made.json()["customer_id"]


def owner_of(suite, customer_id: str) -> str | None:
    return suite.get(f"/api/customers/{customer_id}", "mgr.hz").json().get("owner_id")


def user_id(suite, username: str) -> str:
    return suite.get("/api/me", username).json()["id"]


def test_an_admin_creates_a_user_resets_the_password_and_the_user_must_change_it(app, suite):
    tag = uuid.uuid4().hex[:6]
    try:
        admin_flow(app, suite, tag)
    finally:
        # An active consultant of the 滨江 team would receive the other tests' leads.
        made = suite.get("/api/users", "admin", params={"q": f"desk.{tag}"}).json()["items"]
        for user in made:
            suite.send("PATCH", f"/api/users/{user['id']}", "admin", None, json={"active": False})


def admin_flow(app, suite, tag: str) -> None:
    team = hz_team(suite)
    at_desk(app)
    page = app.sign_in("admin")
    page.wait_for_url(f"{suite.url}/admin/users")
    page.get_by_role("heading", name="用户管理").wait_for()
    page.locator("[data-user='hz.chen']").get_by_text("置业顾问").wait_for()   # roles in words
    shoot(app, "desk-admin-users")

    page.get_by_role("button", name="新建用户").click()
    dialog = page.get_by_role("dialog", name="新建用户")
    dialog.get_by_label("用户名（登录用）").fill("hz.chen")                # taken: 409 at the field
    dialog.get_by_label("姓名", exact=True).fill("新顾问")
    dialog.get_by_label("角色").select_option(label="置业顾问")
    dialog.get_by_label("所属团队").select_option(label=team["name"])
    dialog.get_by_role("button", name="保存").click()
    dialog.locator("#user-username-error").get_by_text("hz.chen").wait_for()   # beside it
    assert dialog.get_by_label("用户名（登录用）").get_attribute("aria-invalid") == "true"
    shoot(app, "desk-admin-user-taken")
    dialog.get_by_label("用户名（登录用）").fill(f"desk.{tag}")
    dialog.get_by_role("button", name="保存").click()
    first = page.locator("[data-test=password]").inner_text()
    shoot(app, "desk-admin-once-password")
    page.get_by_role("button", name="我已记下").click()

    page.get_by_label("姓名或用户名").fill(tag)
    page.get_by_label("姓名或用户名").press("Enter")
    row = page.locator(f"[data-user='desk.{tag}']")
    row.get_by_text("待修改初始密码").wait_for()
    assert "置业顾问" in row.inner_text() and team["name"] in row.inner_text()
    row.get_by_role("button", name="重置密码 新顾问").click()
    page.get_by_role("button", name="确定").click()
    reset = page.locator("[data-test=password]")
    reset.wait_for()
    second = reset.inner_text()
    assert second != first
    page.get_by_role("button", name="我已记下").click()

    # The new user: the first password is dead, the reset one signs in and must be changed.
    page.context.clear_cookies()
    assert suite.post("/api/auth/login", json={"username": f"desk.{tag}",
                                               "password": first}).status_code == 401
    answer = sign_in_as(app, f"desk.{tag}", second)
    assert answer.status == 200 and answer.json()["must_change_password"] is True
    change_password(suite, f"desk.{tag}", second, f"Pavilion{tag}7")
    page.context.clear_cookies()
    assert sign_in_as(app, f"desk.{tag}", f"Pavilion{tag}7").json().get(
        "must_change_password") is not True
    page.wait_for_url(f"{suite.url}/today")                          # a consultant's home

    # The admin deactivates them: gone from 在职, listed under 已停用, and they cannot sign in.
    page.context.clear_cookies()
    page = app.sign_in("admin")
    page.get_by_label("姓名或用户名").fill(tag)
    page.get_by_label("姓名或用户名").press("Enter")
    page.get_by_role("button", name="停用 新顾问").click()
    page.get_by_role("button", name="确定").click()
    page.get_by_text("没有符合条件的用户").wait_for()
    page.get_by_label("状态").select_option(label="已停用")
    page.locator(f"[data-user='desk.{tag}']").get_by_text("已停用").wait_for()
    assert suite.post("/api/auth/login", json={"username": f"desk.{tag}",
                                               "password": f"Pavilion{tag}7"}).status_code == 401


def test_a_manager_offboards_a_consultant_to_a_colleague_and_sees_the_counts(app, suite):
    tag = uuid.uuid4().hex[:6]
    leaver, token = new_consultant(suite, tag, f"离职{tag}")
    mine = [own_lead(suite, token, f"交接客户{tag}{n}") for n in range(2)]
    eventually(lambda: all(owner_of(suite, c) == leaver["id"] for c in mine), timeout=60)
    li = user_id(suite, "hz.li")

    at_desk(app)
    page = app.sign_in("mgr.hz")
    page.wait_for_url(f"{suite.url}/desk/customers")
    page.get_by_role("link", name="离职交接").click()
    page.get_by_label("离职人员", exact=True).select_option(label=f"离职{tag}（置业顾问）")
    page.get_by_text("全部交给一位同事").click()
    page.get_by_role("button", name="确认交接").click()                 # no colleague chosen yet
    page.get_by_text("请选择接手的同事").wait_for()
    page.get_by_label("接手同事").select_option(label="李娜")
    shoot(app, "desk-departure-plan")
    page.get_by_role("button", name="确认交接").click()
    page.get_by_role("button", name="确定").click()
    words = page.locator("[data-test=progress-words]")
    words.get_by_text("完成：转移 2 位").wait_for(timeout=60_000)
    result = page.locator("[data-test=handover-progress] tbody").inner_text()
    assert "李娜 2 位" in result and "全部交给一位同事" in result
    shoot(app, "desk-departure-done")
    eventually(lambda: all(owner_of(suite, c) == li for c in mine), timeout=30)
    assert suite.get(f"/api/users/{leaver['id']}", "admin").json()["active"] is False
    # Opened again later, the departure shows its result.
    page.reload()
    page.locator("[data-test=progress-words]").get_by_text("完成：转移 2 位").wait_for()


def test_a_manager_moves_two_customers_to_a_colleague_who_then_has_them(app, suite):
    tag = uuid.uuid4().hex[:6]
    wang = requests.post(f"{suite.url}/api/auth/login", timeout=10, json={
        "username": "hz.wang", "password": "Keyuan@2026"}).json()["token"]
    chosen = [own_lead(suite, wang, f"转移{tag}{n}") for n in range(2)]
    kept = own_lead(suite, wang, f"留下{tag}")
    eventually(lambda: all(owner_of(suite, c) for c in [*chosen, kept]), timeout=60)
    li = user_id(suite, "hz.li")

    at_desk(app)
    page = app.sign_in("mgr.hz")
    page.wait_for_url(f"{suite.url}/desk/customers")
    page.get_by_label("姓名或手机号").fill(tag)
    page.get_by_label("姓名或手机号").press("Enter")
    for n in range(2):
        page.get_by_label(f"选择 转移{tag}{n}").check()
    page.get_by_text("已选 2 位客户").wait_for()
    shoot(app, "desk-team-customers")
    page.get_by_role("button", name="批量转移").click()
    page.get_by_label("接手同事").select_option(label="李娜")
    page.get_by_role("button", name="开始转移").click()                 # no reason yet
    page.get_by_text("请填写转移原因").wait_for()
    page.get_by_label("转移原因").fill("顾问调岗")
    page.get_by_role("button", name="开始转移").click()
    page.locator("[data-test=progress-words]").get_by_text("完成：转移 2 位").wait_for(
        timeout=60_000)
    shoot(app, "desk-reassign-done")
    page.get_by_role("button", name="完成").click()

    def owners_on_the_page():
        page.get_by_role("button", name="查询").click()
        page.wait_for_load_state("networkidle")
        cells = {n: page.locator(f"[data-customer='{c}'] [data-test=owner]").inner_text()
                 for n, c in enumerate(chosen)}
        return all(v == "李娜" for v in cells.values())

    eventually(owners_on_the_page, timeout=30, every=0.5)
    assert page.locator(f"[data-customer='{kept}'] [data-test=owner]").inner_text() == "王磊"
    # The new owner has them, in the API and on their own phone pages.
    listed = {c["id"] for c in suite.get("/api/customers", "hz.li",
                                         params={"q": f"转移{tag}"}).json()["items"]}
    assert listed == set(chosen) and all(owner_of(suite, c) == li for c in chosen)
    page.context.clear_cookies()
    page = app.sign_in("hz.li", then=f"/customers/{chosen[0]}")
    page.get_by_role("heading", name=f"转移{tag}0").wait_for()


def test_a_manager_ranks_the_team_by_completeness_and_opens_the_weak_profiles(app, suite):
    tag = uuid.uuid4().hex[:6]
    wang = requests.post(f"{suite.url}/api/auth/login", timeout=10, json={
        "username": "hz.wang", "password": "Keyuan@2026"}).json()["token"]
    bare = own_lead(suite, wang, f"待完善{tag}")      # a name and a phone: a weak profile
    eventually(lambda: owner_of(suite, bare), timeout=60)
    wang_id = user_id(suite, "hz.wang")

    at_desk(app)
    page = app.sign_in("mgr.hz", then="/desk/completeness")
    table = page.locator("[data-test=completeness-ranking]")
    row = table.locator(f"tr[data-owner='{wang_id}']")
    row.wait_for()
    ranking = suite.get("/api/customers/completeness", "mgr.hz").json()["items"]
    assert [r["owner_id"] for r in ranking] == [
        tr.get_attribute("data-owner") for tr in table.locator("tbody tr").all()]
    mine = next(r for r in ranking if r["owner_id"] == wang_id)
    assert "王磊" in row.inner_text() and f"{mine['average_completeness']:g}%" in row.inner_text()
    shoot(app, "desk-completeness")
    row.get_by_role("link", name="位待完善").click()
    page.wait_for_url(re.compile(r"/desk/customers\?"))
    page.locator(f"text=待完善{tag}").first.wait_for()
    assert page.get_by_label("归属顾问").input_value() == wang_id
    assert page.get_by_label("资料完善率低于60%").is_checked()
    owners = page.locator("[data-test=team-customers] [data-test=owner]").all_inner_texts()
    assert owners and set(owners) == {"王磊"}


def test_a_consultant_cannot_reach_the_desk(app, suite):
    at_desk(app)
    page = app.sign_in("hz.chen")
    page.wait_for_url(f"{suite.url}/today")
    for path in ("/desk/customers", "/desk/departures", "/admin/users"):
        page.goto(f"{suite.url}{path}")
        page.get_by_text("页面不存在").wait_for()
        assert page.url == f"{suite.url}{path}"
        assert page.get_by_role("navigation", name="工作台导航").count() == 0
    shoot(app, "desk-consultant-not-found")
    # And the API refuses whatever the page would have asked.
    assert suite.get("/api/users", "hz.chen").status_code == 403
    assert suite.post("/api/users", "hz.chen", json={}).status_code == 403
    assert suite.post("/api/customers/reassign", "hz.chen", json={
        "customer_ids": [str(uuid.uuid4())], "mode": "pool"}).status_code == 403
    chen = user_id(suite, "hz.chen")
    assert suite.get(f"/api/users/{chen}/offboard", "hz.chen").status_code == 403


def test_a_director_typing_an_admin_only_address_sees_not_found(app, suite):
    """A director administers teams and users but not the company's channels or notices:
    those addresses say 页面不存在 where they were typed, and the API refuses them too."""
    at_desk(app)
    page = app.sign_in("director")
    page.get_by_role("navigation", name="工作台导航").wait_for()
    nav = page.get_by_role("navigation", name="工作台导航")
    assert nav.get_by_role("link", name="渠道").count() == 0
    for path in ("/admin/channels", "/admin/notifications", "/admin/privacy"):
        page.goto(f"{suite.url}{path}")
        page.get_by_text("页面不存在").wait_for()
        assert page.url == f"{suite.url}{path}"
    page.goto(f"{suite.url}/admin/teams")
    page.get_by_role("heading", name="团队管理").wait_for()   # what a director does administer
    assert suite.get("/api/channels", "director").status_code == 403
    assert suite.get("/api/privacy/audit", "director").status_code == 403


def test_a_manager_sees_who_is_behind_across_the_team_and_opens_their_tasks(app, suite):
    """团队任务 counts every open task of the team (not a page of them) per consultant and
    filters the list to one consultant, or to the overdue ones."""
    for consultant in ("hz.li", "hz.wang"):          # two consultants with open work
        own_lead(suite, suite.token(consultant), f"待办{uuid.uuid4().hex[:6]}")
    li, wang = user_id(suite, "hz.li"), user_id(suite, "hz.wang")

    def api_total(**query) -> int:
        return suite.get("/api/tasks", "mgr.hz", params={"status": "open", "page_size": 1,
                                                          **query}).json()["total"]

    eventually(lambda: api_total(owner_id=li) > 0 and api_total(owner_id=wang) > 0, timeout=30)
    at_desk(app)
    page = app.sign_in("mgr.hz", then="/desk/tasks")
    row = page.locator(f"[data-test=behind] tr[data-owner='{li}']")
    row.wait_for()
    assert int(row.locator("td").nth(1).inner_text()) == api_total(owner_id=li)   # all of them
    with page.expect_response(lambda r: "/api/tasks?" in r.url and f"owner_id={li}" in r.url):
        page.get_by_label("负责顾问").select_option(label="李娜")
    owners = page.locator("[data-label=负责顾问]")
    expect(owners.filter(has_not_text="李娜")).to_have_count(0)      # 王磊's tasks gone
    expect(owners).to_have_count(min(api_total(owner_id=li), 50))
    with page.expect_response(lambda r: "/api/tasks?" in r.url and "overdue=true" in r.url):
        page.get_by_label("只看逾期").check()
    late = api_total(owner_id=li, overdue="true")                  # a new lead's: none yet
    if late:
        expect(page.locator("[data-label=状态]", has_text="已逾期")).to_have_count(min(late, 50))
    else:
        page.get_by_text("没有符合条件的任务").wait_for()
    shoot(app, "desk-tasks-behind")


DESK_PAGES = [("desk-customers", "/desk/customers", "团队客户列表"),
              ("desk-tasks", "/desk/tasks", "团队任务"),
              ("desk-pool", "/desk/pool", "公海分配"),
              ("desk-departures", "/desk/departures", "选择离职人员"),
              ("desk-completeness", "/desk/completeness", "客户信息完善率"),
              ("desk-reception", "/desk/reception", "下一位接待")]
ADMIN_PAGES = [("admin-users", "/admin/users", "用户管理"),
               ("admin-teams", "/admin/teams", "团队管理"),
               ("admin-projects", "/admin/projects", "项目管理")]


def check_pages(app, pages) -> dict:
    problems = {}
    for name, path, text in pages:
        page = app.go(path)
        page.get_by_text(text).first.wait_for()
        page.wait_for_load_state("networkidle")
        app.shoot(name)
        for width, size in (("375", PHONE), ("1440", DESK)):
            page.set_viewport_size(size)
            found = serious_violations(page)
            if found:
                problems[f"{name}@{width}"] = found
    return problems


def test_desk_pages_render_and_pass_axe(audited):  # noqa: F811
    audited.sign_in("mgr.hz")
    problems = check_pages(audited, DESK_PAGES)
    page = audited.go("/desk/customers")
    page.get_by_label("选择本页全部客户").check()
    page.get_by_role("button", name="批量转移").click()
    page.get_by_label("转移原因").wait_for()
    found = serious_violations(page)
    if found:
        problems["reassign-dialog"] = found
    audited.page.context.clear_cookies()
    audited.sign_in("admin")
    problems.update(check_pages(audited, ADMIN_PAGES))
    page = audited.go("/admin/users")
    page.get_by_role("button", name="新建用户").click()
    page.get_by_label("用户名（登录用）").wait_for()
    found = serious_violations(page)
    if found:
        problems["user-editor"] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
