"""Scope, safety and the pool at 375 px: another consultant's customer is "not found", a
script-named customer is text, a pool claim shows the day's remaining claims, 录入 warns
about a known phone before submitting, a grab with its live countdown."""

import re

import pytest

from tests.web.conftest import new_phone, post_lead, project_id

pytestmark = pytest.mark.e2e

SCRIPT_NAME = "<img src=x onerror=alert(1)>"


def owner_name(suite, owner_id):
    for username in ("hz.chen", "hz.li", "hz.wang"):
        me = suite.get("/api/me", username).json()
        if me["id"] == owner_id:
            return username, me["name"]
    raise AssertionError(owner_id)


def test_another_consultants_customer_is_not_found_and_names_are_text(app, suite):
    accepted = post_lead(suite, SCRIPT_NAME, new_phone())
    owner, _ = owner_name(suite, accepted["owner_id"])
    other = next(u for u in ("hz.chen", "hz.li", "hz.wang") if u != owner)
    dialogs = []
    app.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page = app.sign_in(owner, then=f"/customers/{accepted['customer_id']}")
    page.get_by_role("heading", name=SCRIPT_NAME).wait_for()    # shown as the text it is
    page.goto(f"{suite.url}/customers")
    page.get_by_text(SCRIPT_NAME).first.wait_for()
    page.goto(f"{suite.url}/today")
    page.get_by_text(SCRIPT_NAME).first.wait_for()
    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    app.shoot("script-name")

    page.context.clear_cookies()
    page = app.sign_in(other, then=f"/customers/{accepted['customer_id']}")
    page.get_by_text("未找到，或你无权查看").wait_for()
    assert page.get_by_text(SCRIPT_NAME).count() == 0
    app.shoot("not-found")


def test_a_pool_claim_shows_the_claims_left(app, suite):
    accepted = post_lead(suite, "公海客户", new_phone())
    owner, _ = owner_name(suite, accepted["owner_id"])
    released = suite.post(f"/api/customers/{accepted['customer_id']}/release", owner,
                          json={"reason": "客户暂无购房计划"})
    assert released.status_code == 200, released.text
    claimer = next(u for u in ("hz.chen", "hz.li", "hz.wang") if u != owner)
    before = suite.get("/api/pool", claimer).json()["claims_left"]

    page = app.sign_in(claimer, then="/pool")
    page.get_by_text(f"今日还可认领 {before} 位客户").wait_for()
    app.shoot("pool")
    page.get_by_role("button", name="认领 公海客户").first.click()
    page.wait_for_url(re.compile(r"/customers/"))
    page.get_by_role("heading", name="公海客户").wait_for()
    page.goto(f"{suite.url}/pool")
    page.get_by_text(f"今日还可认领 {before - 1} 位客户").wait_for()


def test_new_lead_warns_about_a_known_phone_before_submitting(app, suite):
    phone = new_phone()
    accepted = post_lead(suite, "老客户", phone)
    owner, owner_display = owner_name(suite, accepted["owner_id"])
    other = next(u for u in ("hz.chen", "hz.li", "hz.wang") if u != owner)

    page = app.sign_in(other, then="/new-lead")
    page.get_by_label("客户姓名").fill("新来的")
    page.get_by_label("手机号").fill(f"{phone[:3]} {phone[3:7]} {phone[7:]}")
    page.get_by_label("客户姓名").focus()                       # leaving the field checks it
    warning = page.locator("[data-test=known-phone]")
    warning.get_by_text(f"归属顾问：{owner_display}").wait_for()
    assert "老客户" not in warning.inner_text()                  # nothing more than whose
    app.shoot("new-lead-known-phone")

    page.get_by_label("手机号").fill(new_phone())
    page.get_by_label("客户姓名").focus()
    page.get_by_text("新号码，可以录入").wait_for()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/customers/"))
    page.get_by_role("heading", name="新来的").wait_for()        # no "not found" on the way
    assert page.get_by_text("未找到").count() == 0


def test_grab_an_offer_with_its_countdown(app, suite):
    project = project_id(suite)
    settings = suite.get(f"/api/projects/{project}/lead-settings", "director").json()
    grab = {**settings, "assignment": {**settings["assignment"], "strategy": "grab",
                                       "grab_window_minutes": 10}}
    assert suite.put(f"/api/projects/{project}/lead-settings", "director",
                     json=grab).status_code == 200
    try:
        page = app.sign_in("hz.wang", then="/grab")
        page.get_by_text("暂无可抢的线索").wait_for()
        post_lead(suite, "抢单客户", new_phone())
        button = page.get_by_role("button", name="抢 抢单客户")
        button.wait_for(timeout=6_000)
        timer = page.get_by_role("timer").first
        first = timer.inner_text()
        page.wait_for_timeout(1_200)
        assert timer.inner_text() != first and re.search(r"剩余 \d\d:\d\d", first)   # live
        app.shoot("grab")
        button.click()
        page.wait_for_url(re.compile(r"/customers/"))
        page.get_by_role("heading", name="抢单客户").wait_for()
    finally:
        suite.put(f"/api/projects/{project}/lead-settings", "director", json=settings)
