"""A project's setup on the desk at 1440 px (screenshots at 375 px too): a director adds an SOP
task with a mistake, sees the API's refusal at that field, fixes it and saves, and the next
customer entering the stage gets the new task; renames a stage to a name another stage has,
sees the clash at the field, fixes it, and makes a profile field required. A manager reads
the pages but cannot edit them; a director sets the lead rules, a bad number refused at its
field; puts a grading rule first, its empty value refused at that condition, and the next lead
is graded by it; maps a district to a consultant, and that district's next leads go to them.
The pages pass axe-core."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.waiting import eventually
from tests.web.conftest import new_phone, post_lead
from tests.web.test_desk import at_desk, bearer, own_lead, shoot, user_id
from tests.web.test_pages import audited, serious_violations  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def hz_project(suite) -> dict:
    return suite.get("/api/me/projects", "hz.wang").json()["items"][0]


def test_a_director_fixes_an_sop_mistake_at_its_field_and_the_next_customer_gets_the_task(
        app, suite):
    tag = uuid.uuid4().hex[:6]
    project = hz_project(suite)
    shipped = suite.get(f"/api/projects/{project['id']}/sop", "director").json()
    invited = next(n for n, s in enumerate(shipped["stages"]) if s["stage"] == "invited")
    new_index = len(shipped["stages"][invited]["tasks"])
    try:
        at_desk(app)
        page = app.sign_in("director", then="/desk/sop")
        page.get_by_label("项目").select_option(label=project["name"])
        stage = page.locator("[data-stage=invited]")
        stage.get_by_role("button", name="添加任务：邀约到访").click()
        n = new_index + 1
        stage.get_by_label(f"任务 {n} 名称").fill(f"寄送楼书{tag}")
        stage.get_by_label(f"任务 {n} 代码").fill("Brochure")      # must start lower-case
        stage.get_by_label(f"任务 {n} 期限").fill("2d")
        page.get_by_role("button", name="保存模板").click()
        key_field = stage.locator(f"[data-task='{new_index}']").get_by_label(f"任务 {n} 代码")
        error_id = f"sop-invited-{new_index}-key-error"
        page.locator(f"#{error_id}").wait_for()
        assert key_field.get_attribute("aria-invalid") == "true"
        assert key_field.get_attribute("aria-describedby") == error_id
        shoot(app, "desk-sop-error")
        # Nothing was stored by the refused save.
        unchanged = suite.get(f"/api/projects/{project['id']}/sop", "director").json()
        assert len(unchanged["stages"][invited]["tasks"]) == new_index

        key_field.fill(f"brochure_{tag}")
        with page.expect_response(lambda r: r.request.method == "PUT"
                                  and r.url.endswith("/sop")) as saved:
            page.get_by_role("button", name="保存模板").click()
        assert saved.value.status == 200, saved.value.text()
        page.get_by_text("SOP 模板已保存").wait_for()
        assert page.locator(f"#{error_id}").count() == 0
        stored = suite.get(f"/api/projects/{project['id']}/sop", "director").json()
        assert stored["stages"][invited]["tasks"][new_index]["title"] == f"寄送楼书{tag}"

        # The next customer entering 邀约到访 gets the new task.
        wang = requests.post(f"{suite.url}/api/auth/login", timeout=10, json={
            "username": "hz.wang", "password": "Keyuan@2026"}).json()["token"]
        customer = own_lead(suite, wang, f"楼书{tag}")
        eventually(lambda: requests.get(f"{suite.url}/api/customers/{customer}",
                                        headers=bearer(wang), timeout=10).ok, timeout=30)
        moved = requests.post(f"{suite.url}/api/customers/{customer}/stage", timeout=15,
                              headers=bearer(wang), json={"stage": "invited"})
        assert moved.ok, moved.text

        def titles() -> set[str]:
            found = requests.get(f"{suite.url}/api/tasks", headers=bearer(wang), timeout=10,
                                 params={"customer_id": customer}).json()["items"]
            return {t["title"] for t in found}

        eventually(lambda: f"寄送楼书{tag}" in titles(), timeout=30)
        page.goto(f"{suite.url}/customers/{customer}")
        page.get_by_text(f"寄送楼书{tag}").first.wait_for()
    finally:
        restored = suite.put(f"/api/projects/{project['id']}/sop", "director", json=shipped)
        assert restored.ok, restored.text


def test_a_manager_reads_the_sop_but_cannot_edit_it(app, suite):
    at_desk(app)
    page = app.sign_in("mgr.hz", then="/desk/sop")
    page.get_by_text("只读：SOP 模板由项目总监或管理员维护").wait_for()
    first_title = page.locator("[data-stage] input").first
    first_title.wait_for()
    assert first_title.is_disabled()
    assert page.get_by_role("button", name="保存模板").count() == 0
    project = hz_project(suite)
    template = suite.get(f"/api/projects/{project['id']}/sop", "mgr.hz").json()
    assert suite.put(f"/api/projects/{project['id']}/sop", "mgr.hz",
                     json=template).status_code == 403


def test_the_settings_pages_pass_axe(audited):  # noqa: F811
    audited.sign_in("director", then="/desk/sop")
    page = audited.page
    problems = {}
    for name, path, ready in (("desk-lead-rules", "/desk/lead-rules", "[data-test=lead-rules]"),
                              ("desk-sop", "/desk/sop", "[data-stage=invited]"),
                              ("desk-funnel", "/desk/funnel", "[data-test=fields-form]")):
        page.goto(f"{audited.url}{path}")
        page.locator(ready).wait_for()
        page.wait_for_load_state("networkidle")
        audited.shoot(name)
        for width, size in (("375", {"width": 375, "height": 812}),
                            ("1440", {"width": 1440, "height": 900})):
            page.set_viewport_size(size)
            found = serious_violations(page)
            if found:
                problems[f"{name}@{width}"] = found
    assert problems == {}


def test_a_director_renames_a_stage_sees_a_clash_at_its_field_and_sets_the_fields(app, suite):
    project = hz_project(suite)
    base = f"/api/projects/{project['id']}"
    funnel = suite.get(f"{base}/funnel", "director").json()
    fields = suite.get(f"{base}/profile-fields", "director").json()
    try:
        at_desk(app)
        page = app.sign_in("director", then="/desk/funnel")
        page.get_by_label("项目").select_option(label=project["name"])
        form = page.locator("[data-test=funnel-form]")
        form.get_by_label("签约 的项目名称").fill("首次接访")      # the name of another stage
        form.get_by_role("button", name="保存阶段").click()
        page.locator("#ff-label-signed-error").wait_for()
        assert form.get_by_label("签约 的项目名称").get_attribute("aria-invalid") == "true"
        assert suite.get(f"{base}/funnel", "director").json()["renamed"] == funnel["renamed"]
        shoot(app, "desk-funnel-error")
        form.get_by_label("签约 的项目名称").fill("网签")
        form.get_by_role("button", name="保存阶段").click()
        page.get_by_text("阶段设置已保存").wait_for()
        assert page.locator("#ff-label-signed-error").count() == 0
        assert suite.get(f"{base}/funnel", "director").json()["labels"]["signed"] == "网签"

        page.get_by_label("微信").select_option(label="必填（权重 2）")
        page.locator("[data-test=fields-form]").get_by_role("button", name="保存字段").click()
        page.get_by_text("客户字段已保存").wait_for()
        assert "wechat" in suite.get(f"{base}/profile-fields", "director").json()["required"]
        # A manager reads the same setup, unable to change it.
        page.context.clear_cookies()
        page = app.sign_in("mgr.hz", then="/desk/funnel")
        page.get_by_text("只读：阶段与字段由项目总监或管理员维护").wait_for()
        assert page.get_by_label("签约 的项目名称").input_value() == "网签"
        assert page.get_by_label("签约 的项目名称").is_disabled()
        assert page.get_by_role("button", name="保存阶段").count() == 0
    finally:
        assert suite.put(f"{base}/funnel", "director", json={
            "stages": funnel["stages"], "labels": funnel["renamed"]}).ok
        assert suite.put(f"{base}/profile-fields", "director", json={
            "required": fields["required"], "optional": fields["optional"]}).ok


def test_a_director_sets_the_lead_rules_and_a_bad_number_is_refused_at_its_field(app, suite):
    project = hz_project(suite)
    path = f"/api/projects/{project['id']}/lead-settings"
    before = suite.get(path, "director").json()
    try:
        at_desk(app)
        page = app.sign_in("director", then="/desk/lead-rules")
        page.get_by_label("项目").select_option(label=project["name"])
        form = page.locator("[data-test=lead-rules]")
        form.get_by_label("报备到访保护期（天）").fill("0")
        form.get_by_label("公海每日领取上限").fill("8")
        form.get_by_role("button", name="保存规则").click()
        page.locator("#lr-protection-visit_days-error").wait_for()
        assert form.get_by_label("报备到访保护期（天）").get_attribute("aria-invalid") == "true"
        assert suite.get(path, "director").json() == before      # nothing stored
        shoot(app, "desk-lead-rules-error")
        form.get_by_label("报备到访保护期（天）").fill("14")
        form.get_by_label("分配方式").select_option(label="按负载分配（有上限）")
        form.get_by_label("每位顾问客户上限").fill("300")
        form.get_by_role("button", name="保存规则").click()
        page.get_by_text("线索规则已保存").wait_for()
        stored = suite.get(path, "director").json()
        assert stored["protection"]["visit_days"] == 14 and stored["pool"]["daily_claim_cap"] == 8
        assert stored["assignment"]["strategy"] == "load"
        assert stored["assignment"]["load_cap"] == 300
        assert stored["grading"] == before["grading"]             # kept as it was
        page.context.clear_cookies()
        page = app.sign_in("mgr.hz", then="/desk/lead-rules")
        page.get_by_text("只读：线索规则由项目总监或管理员维护").wait_for()
        assert page.get_by_label("报备到访保护期（天）").input_value() == "14"
        assert page.get_by_label("报备到访保护期（天）").is_disabled()
    finally:
        assert suite.put(path, "director", json=before).ok


def test_a_director_puts_a_grading_rule_first_and_the_next_lead_is_graded_by_it(app, suite):
    tag = uuid.uuid4().hex[:6]
    project = hz_project(suite)
    path = f"/api/projects/{project['id']}/lead-settings"
    before = suite.get(path, "director").json()
    shipped = len(before["grading"])
    try:
        at_desk(app)
        page = app.sign_in("director", then="/desk/lead-rules")
        page.get_by_label("项目").select_option(label=project["name"])
        form = page.locator("[data-test=lead-rules]")
        form.get_by_role("button", name="添加规则").click()
        n = shipped + 1
        added = form.locator(f"[data-rule='{shipped}']")
        assert added.get_by_label(f"规则 {n} 等级").evaluate("e => e === document.activeElement")
        added.get_by_label(f"规则 {n} 等级").select_option(label="A 级")
        added.get_by_label(f"规则 {n} 名称（可选）").fill(f"高预算{tag}")
        added.get_by_label(f"规则 {n} 条件 1 字段").select_option(label="最低预算")
        added.get_by_label(f"规则 {n} 条件 1 比较").select_option(label="≥ 不低于")
        for number in range(n, 1, -1):                      # to the top: order decides
            form.get_by_role("button", name=f"上移规则 {number}", exact=True).click()
        top = form.locator("[data-rule='0']")
        assert top.get_by_label("规则 1 名称（可选）").input_value() == f"高预算{tag}"
        assert form.get_by_role("button", name="上移规则 1", exact=True).is_disabled()

        # The value left empty: the API refuses it at that condition, nothing is stored.
        form.get_by_role("button", name="保存规则").click()
        value = top.get_by_label("规则 1 条件 1 数值（万元）")
        error_id = "lr-grading-0-when-0-value-error"
        page.locator(f"#{error_id}").get_by_text("请填写金额").wait_for()
        assert value.get_attribute("aria-invalid") == "true"
        assert value.get_attribute("aria-describedby") == error_id
        assert suite.get(path, "director").json() == before
        shoot(app, "desk-lead-rules-grading-error")

        value.fill("500")
        top.get_by_text(f"A 级（高预算{tag}）：最低预算 ≥ 500 万元").wait_for()   # in words
        with page.expect_response(lambda r: r.request.method == "PUT"
                                  and r.url.endswith("/lead-settings")) as saved:
            form.get_by_role("button", name="保存规则").click()
        assert saved.value.status == 200, saved.value.text()
        page.get_by_text("线索规则已保存").wait_for()
        assert page.locator(f"#{error_id}").count() == 0
        stored = suite.get(path, "director").json()
        assert stored["grading"][0] == {"grade": "A", "label": f"高预算{tag}", "when": [
            {"field": "budget_min", "op": "gte", "value": 5_000_000}]}      # 万元 → yuan
        assert stored["grading"][1:] == before["grading"]

        # 600 万 with no purpose: A by the new first rule (the shipped rules gave it B).
        rich = post_lead(suite, f"高预算{tag}", new_phone(), budget_min=6_000_000)
        assert rich["grade"] == "A", rich
        eventually(lambda: suite.get(f"/api/customers/{rich['customer_id']}",
                                     "mgr.hz").json().get("grade") == "A", timeout=30)
        below = post_lead(suite, f"预算四百{tag}", new_phone(), budget_min=4_000_000)
        assert below["grade"] == "B", below

        # A manager reads the rule, unable to change or reorder it.
        page.context.clear_cookies()
        page = app.sign_in("mgr.hz", then="/desk/lead-rules")
        page.get_by_text("只读：线索规则由项目总监或管理员维护").wait_for()
        manager_value = page.get_by_label("规则 1 条件 1 数值（万元）")
        assert manager_value.input_value() == "500" and manager_value.is_disabled()
        assert page.get_by_role("button", name="上移规则 2", exact=True).count() == 0
        assert page.get_by_role("button", name="添加规则").count() == 0
    finally:
        assert suite.put(path, "director", json=before).ok


def test_a_director_maps_a_district_to_a_consultant_and_its_next_leads_go_to_them(app, suite):
    tag = uuid.uuid4().hex[:6]
    project = hz_project(suite)
    path = f"/api/projects/{project['id']}/lead-settings"
    before = suite.get(path, "director").json()
    districts = suite.get(f"/api/projects/{project['id']}", "admin").json()["districts"]
    district = f"江南{tag}"
    li = user_id(suite, "hz.li")
    changed = suite.send("PATCH", f"/api/projects/{project['id']}", "admin", None,
                         json={"districts": [*districts, district]})
    assert changed.ok, changed.text
    try:
        at_desk(app)
        page = app.sign_in("director", then="/desk/lead-rules")
        page.get_by_label("项目").select_option(label=project["name"])
        form = page.locator("[data-test=lead-rules]")
        assert form.locator("[data-test=regions]").count() == 0     # only for 按区域
        form.get_by_label("分配方式").select_option(label="按区域分配")
        row = form.locator(f"[data-region='{district}']")
        row.get_by_text("未指定顾问：该区域的线索在全项目在岗顾问中轮流分配").wait_for()
        row.get_by_label("李娜").check()
        row.get_by_text("1 位顾问轮流接收该区域的线索").wait_for()
        shoot(app, "desk-lead-rules-regions")
        form.get_by_role("button", name="保存规则").click()
        page.get_by_text("线索规则已保存").wait_for()
        stored = suite.get(path, "director").json()
        assert stored["assignment"]["strategy"] == "region"
        assert stored["assignment"]["regions"][district] == [li]

        # The district's next leads go to 李娜, each of them (not round-robin over the team).
        for n in range(2):
            lead = post_lead(suite, f"区域{n}{tag}", new_phone(), district=district)
            assert lead["owner_id"] == li, lead
            assert lead["assignment_reason"].startswith(f"district {district}"), lead
        # A district nobody is mapped to goes round-robin over every on-duty consultant.
        elsewhere = post_lead(suite, f"别处{tag}", new_phone(), district=f"别处{tag}")
        assert "round-robin among all" in elsewhere["assignment_reason"], elsewhere

        # Back to 轮流分配: the map is hidden but kept.
        form.get_by_label("分配方式").select_option(label="轮流分配")
        assert form.locator("[data-test=regions]").count() == 0
        with page.expect_response(lambda r: r.request.method == "PUT"
                                  and r.url.endswith("/lead-settings")) as saved:
            form.get_by_role("button", name="保存规则").click()
        assert saved.value.status == 200, saved.value.text()
        kept = suite.get(path, "director").json()["assignment"]
        assert kept["strategy"] == "round_robin" and kept["regions"][district] == [li]
    finally:
        assert suite.put(path, "director", json=before).ok
        assert suite.send("PATCH", f"/api/projects/{project['id']}", "admin", None,
                          json={"districts": districts}).ok


def test_the_grading_editor_and_the_region_map_pass_axe(audited, suite):  # noqa: F811
    project = hz_project(suite)
    path = f"/api/projects/{project['id']}/lead-settings"
    before = suite.get(path, "director").json()
    districts = suite.get(f"/api/projects/{project['id']}", "admin").json()["districts"]
    changed = suite.send("PATCH", f"/api/projects/{project['id']}", "admin", None,
                         json={"districts": [*districts, "滨江区", "萧山区"]})
    assert changed.ok, changed.text
    try:
        page = audited.sign_in("director", then="/desk/lead-rules")
        page.get_by_label("项目").select_option(label=project["name"])
        form = page.locator("[data-test=lead-rules]")
        form.get_by_label("分配方式").select_option(label="按区域分配")
        form.locator("[data-region='滨江区']").get_by_label("李娜").check()
        form.get_by_role("button", name="添加规则").click()
        n = len(before["grading"]) + 1
        form.get_by_label(f"规则 {n} 条件 1 字段").select_option(label="置业目的")
        form.get_by_label(f"规则 {n} 条件 1 比较").select_option(label="属于任一")
        form.get_by_role("button", name="保存规则").click()     # nothing ticked: refused here
        page.locator(f"#lr-grading-{n - 1}-when-0-value-error").wait_for()
        assert suite.get(path, "director").json() == before
        audited.shoot("desk-lead-rules-editor")
        problems = {}
        for width, size in (("375", {"width": 375, "height": 812}),
                            ("1440", {"width": 1440, "height": 900})):
            page.set_viewport_size(size)
            found = serious_violations(page)
            if found:
                problems[width] = found
        assert problems == {}
    finally:
        assert suite.put(path, "director", json=before).ok
        assert suite.send("PATCH", f"/api/projects/{project['id']}", "admin", None,
                          json={"districts": districts}).ok
