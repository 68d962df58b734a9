"""SOP 模板 beyond the tasks of stages that have some (1440 px): every stage of the project's
funnel has its section, so a director gives tasks to 初步沟通, which ships with none, and the
next customer entering it gets them; the office hours and the silence and recycling days are
set on the same page, a bad number refused at its field with nothing stored."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.waiting import eventually
from tests.web.test_desk import at_desk, bearer, own_lead, shoot

pytestmark = pytest.mark.e2e


def test_a_director_gives_tasks_to_a_stage_that_had_none_and_sets_the_warning_days(app, suite):
    tag = uuid.uuid4().hex[:6]
    project = suite.get("/api/me/projects", "hz.wang").json()["items"][0]
    url = f"/api/projects/{project['id']}/sop"
    shipped = suite.get(url, "director").json()
    assert "contacted" not in {s["stage"] for s in shipped["stages"] if s["tasks"]}
    try:
        at_desk(app)
        page = app.sign_in("director", then="/desk/sop")
        page.get_by_label("项目").select_option(label=project["name"])
        stage = page.locator("[data-stage=contacted]")
        stage.get_by_role("heading", name="初步沟通（暂无任务）").wait_for()
        stage.get_by_role("button", name="添加任务：初步沟通").click()
        stage.get_by_label("任务 1 名称").fill(f"确认购房需求{tag}")
        stage.get_by_label("任务 1 代码").fill(f"needs_{tag}")
        stage.get_by_label("任务 1 期限").fill("1d")
        days = page.get_by_label("未跟进预警（天）")
        assert days.input_value() == str(shipped["silence_warning_days"])
        days.fill("五")
        page.get_by_role("button", name="保存模板").click()
        page.locator("#sop-silence_warning_days-error").wait_for()
        assert days.get_attribute("aria-invalid") == "true"
        assert suite.get(url, "director").json() == shipped            # nothing stored

        days.fill("5")
        page.get_by_label("营业结束").fill("20:30")
        with page.expect_response(lambda r: r.request.method == "PUT"
                                  and r.url.endswith("/sop")) as saved:
            page.get_by_role("button", name="保存模板").click()
        assert saved.value.status == 200, saved.value.text()
        page.get_by_text("SOP 模板已保存").wait_for()
        stage.get_by_role("heading", name="初步沟通（1 项任务）").wait_for()
        stored = suite.get(url, "director").json()
        assert (stored["silence_warning_days"], stored["closes"]) == (5, "20:30")
        [contacted] = [s for s in stored["stages"] if s["stage"] == "contacted"]
        assert [t["title"] for t in contacted["tasks"]] == [f"确认购房需求{tag}"]
        # Stages still without tasks were not written into the template.
        assert len(stored["stages"]) == len(shipped["stages"]) + 1
        shoot(app, "desk-sop-stages")

        wang = requests.post(f"{suite.url}/api/auth/login", timeout=10, json={
            "username": "hz.wang", "password": "Keyuan@2026"}).json()["token"]
        customer = own_lead(suite, wang, f"沟通{tag}")
        eventually(lambda: requests.get(f"{suite.url}/api/customers/{customer}",
                                        headers=bearer(wang), timeout=10).ok, timeout=30)
        moved = requests.post(f"{suite.url}/api/customers/{customer}/stage", timeout=15,
                              headers=bearer(wang), json={"stage": "contacted"})
        assert moved.ok, moved.text
        eventually(lambda: f"确认购房需求{tag}" in {
            t["title"] for t in requests.get(f"{suite.url}/api/tasks", headers=bearer(wang),
                                             params={"customer_id": customer},
                                             timeout=10).json()["items"]}, timeout=30)
    finally:
        restored = suite.put(url, "director", json=shipped)
        assert restored.ok, restored.text
