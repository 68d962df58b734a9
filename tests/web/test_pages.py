"""Every page at 375 and 1440 px: it renders in Chinese, and axe-core (the npm package,
injected from web/node_modules) finds no serious or critical accessibility violation."""

import json
import uuid
from pathlib import Path

import pytest
import requests

from tests.web.conftest import PASSWORD, PHONE, App, project_id
from tests.web.test_today_flow import lead_for

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"

CONSULTANT_PAGES = [("today", "/today", "新分配线索"), ("customers", "/customers", "位客户"),
                    ("pool", "/pool", "公海客户"), ("grab-empty", "/grab", "抢单"),
                    ("new-lead", "/new-lead", "录入客户"),
                    ("reception", "/reception", "下一位接待"),
                    ("messages", "/messages", "消息"), ("me", "/me", "接单状态")]
AGENT_PAGES = [("agent-register", "/agent", "报备客户"),
               ("agent-registrations", "/agent/registrations", "我的报备")]


@pytest.fixture
def audited(browser, suite):
    # The app's CSP allows no injected script; axe is a test's tool, so this context
    # bypasses it (the app's own pages are the same).
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  bypass_csp=True)
    yield App(context.new_page(), suite)
    context.close()


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
          .map(v => v.id + ': ' + v.help + ' '
               + JSON.stringify(v.nodes.slice(0, 3).map(n => n.target)));
    }""")
    return found


def visit(app, pages) -> dict:
    problems = {}
    for name, path, text in pages:
        page = app.go(path)
        page.get_by_text(text).first.wait_for()
        page.wait_for_load_state("networkidle")
        app.shoot(name)
        found = serious_violations(page)
        if found:
            problems[name] = found
    return problems


def test_consultant_pages_render_and_pass_axe(audited, suite):
    page = audited.go("/login")
    page.get_by_text("置业顾问工作台").wait_for()
    audited.shoot("login")
    problems = {"login": serious_violations(page)} if serious_violations(page) else {}
    audited.sign_in("hz.chen")
    mine = lead_for(suite, "hz.chen", "无障碍客户")[0]["customer_id"]
    problems.update(visit(audited, [*CONSULTANT_PAGES,
                                    ("customer", f"/customers/{mine}", "写跟进")]))
    page.get_by_role("tab", name="资料").click()        # the profile form, on the same page
    page.get_by_label("意向户型").wait_for()
    if found := serious_violations(page):
        problems["customer-profile"] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_channel_agent_area(audited, suite):
    registered = suite.post("/api/registrations", "agent", json={
        "name": "周女士", "phone": "13912340000",
        "project_id": suite.get("/api/me/projects", "agent").json()["items"][0]["id"]})
    assert registered.status_code in (200, 201), registered.text
    page = audited.sign_in("agent")
    page.wait_for_url(f"{suite.url}/agent")
    problems = visit(audited, AGENT_PAGES)
    page.get_by_text("周女士").wait_for()
    page.get_by_text("到访保护至").wait_for()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    page.goto(f"{suite.url}/today")                  # not an agent's page
    page.wait_for_url(f"{suite.url}/agent")


def test_api_docs_are_interactive_and_offline(app, suite):
    requested = []
    app.page.on("request", lambda r: requested.append(r.url))
    app.sign_in("hz.chen")
    page = app.go("/api/docs")
    page.get_by_text("Keyuan 客源 API").first.wait_for()
    page.get_by_text("/api/me/projects").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status").get_by_text("200").wait_for()
    app.shoot("api-docs")
    assert all(url.startswith(suite.url) for url in requested), \
        [u for u in requested if not u.startswith(suite.url)]


def test_a_new_user_must_change_the_initial_password_first(app, suite):
    """An admin makes a consultant with an initial password: at first sign-in the app keeps
    them on 我的 until they change it; then they work, and only the new password signs in."""
    team = suite.get("/api/me", "hz.chen").json()["team_id"]
    username = f"new.{uuid.uuid4().hex[:8]}"
    made = suite.post("/api/users", "admin", json={
        "username": username, "name": "新顾问", "role": "consultant", "password": "Chu$hi2026x",
        "team_id": team, "project_ids": [project_id(suite)]})
    assert made.status_code == 201, made.text
    try:
        page = app.go("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill("Chu$hi2026x")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("首次登录请先修改初始密码").wait_for()
        assert page.url.endswith("/me")
        page.goto(f"{suite.url}/customers")                 # nothing else until it is changed
        page.get_by_text("首次登录请先修改初始密码").wait_for()
        app.shoot("first-login")
        page.get_by_label("当前密码").fill("Chu$hi2026x")
        page.get_by_label("新密码", exact=True).fill(username)          # the policy says no
        page.get_by_label("确认新密码").fill(username)
        page.get_by_role("button", name="保存新密码").click()
        page.get_by_text("密码不能包含用户名", exact=False).wait_for()    # beside the field
        page.get_by_label("新密码", exact=True).fill("Xin#mima2026")
        page.get_by_label("确认新密码").fill("Xin#mima2026")
        page.get_by_role("button", name="保存新密码").click()
        page.get_by_text("密码已修改").wait_for()
        page.wait_for_url(f"{suite.url}/today")
        page.get_by_text("待办任务").wait_for()            # the new cookie works for everything
        assert requests.post(f"{suite.url}/api/auth/login", timeout=10, json={
            "username": username, "password": "Chu$hi2026x"}).status_code == 401
        assert requests.post(f"{suite.url}/api/auth/login", timeout=10, json={
            "username": username, "password": "Xin#mima2026"}).status_code == 200
    finally:   # an active consultant of the 滨江 team would take the other tests' leads
        suite.send("PATCH", f"/api/users/{made.json()['id']}", "admin", None,
                   json={"active": False})


def test_password_form_is_there(app):
    # The form's own checks, before anything is sent (the change itself: the test above).
    page = app.sign_in("hz.chen", then="/me")
    page.get_by_text("修改密码").click()
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("short")
    page.get_by_role("button", name="保存新密码").click()
    page.get_by_text("新密码至少8位").wait_for()
