"""接待轮岗 at the desk (1440 px): the manager puts two consultants in the walk-in line, pauses
one, and the next visitor goes to the other, who moves to the back; the consultant sees the
same order on their phone. A manager of another city can touch none of it."""

from __future__ import annotations

import pytest

from tests.web.conftest import DESK, project_id

pytestmark = pytest.mark.e2e


def user_id(suite, username: str) -> str:
    return suite.get("/api/me", username).json()["id"]


def empty_line(suite, project: str) -> None:
    for slot in suite.get(f"/api/projects/{project}/reception", "mgr.hz").json()["items"]:
        left = suite.post(f"/api/projects/{project}/reception/leave", "mgr.hz",
                          json={"user_id": slot["user_id"]})
        assert left.status_code == 200, left.text


def names_in_line(suite, project: str) -> list[str]:
    return [s["name"] for s in suite.get(f"/api/projects/{project}/reception",
                                         "mgr.hz").json()["items"]]


def test_a_manager_runs_the_walk_in_line_and_the_consultant_sees_it(app, suite):
    hz = project_id(suite)
    empty_line(suite, hz)
    app.page.set_viewport_size(DESK)
    page = app.sign_in("mgr.hz", then="/desk/reception")
    page.get_by_role("heading", name="接待轮岗").wait_for()
    page.get_by_text("还没有人加入轮岗").wait_for()
    for name in ("陈晓明", "李娜"):
        page.get_by_label("加入轮岗的顾问").select_option(label=name)
        page.get_by_role("button", name="加入轮岗", exact=True).click()
        page.get_by_text(f"{name} 已加入轮岗").wait_for()
    line = page.locator("[data-test=reception-line]")
    line.locator("tr", has_text="李娜").wait_for()
    assert names_in_line(suite, hz) == ["陈晓明", "李娜"]       # stored, in the order added
    # Whoever is in line is not offered again.
    offered = page.get_by_label("加入轮岗的顾问").locator("option").all_inner_texts()
    assert "陈晓明" not in offered and "李娜" not in offered and "王磊" in offered

    next_up = page.locator("[data-test=next-up]")
    assert "陈晓明" in next_up.inner_text()
    page.get_by_role("button", name="暂停陈晓明的接待").click()
    page.get_by_text("陈晓明 已暂停接待").wait_for()
    line.locator("tr", has_text="陈晓明").get_by_text("暂停").wait_for()
    next_up.get_by_text("李娜").wait_for()                     # the paused one is skipped
    page.get_by_role("button", name="来客了，分配接待").click()
    page.get_by_text("请 李娜 接待这位客户").first.wait_for()
    assert names_in_line(suite, hz) == ["陈晓明", "李娜"]       # 李娜 served: to the back
    served = suite.get(f"/api/projects/{hz}/reception", "mgr.hz").json()["items"]
    assert served[1]["last_served_at"] and not served[0]["last_served_at"]
    assert "李娜" in next_up.inner_text()                      # still the only one available

    page.get_by_role("button", name="恢复陈晓明的接待").click()
    next_up.get_by_text("陈晓明").wait_for()
    page.get_by_role("button", name="将李娜移出轮岗").click()
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    page.get_by_text("李娜 已移出轮岗").wait_for()
    assert names_in_line(suite, hz) == ["陈晓明"]
    app.shoot("desk-reception")

    # The consultant's phone shows the same line.
    page.context.clear_cookies()
    phone = app.sign_in("hz.chen", then="/reception")
    phone.get_by_text("1. 陈晓明（我）").wait_for()
    assert "李娜" not in phone.locator("main").inner_text()

    # Another city's manager cannot touch this line (the project is not theirs).
    chen = user_id(suite, "hz.chen")
    assert suite.post(f"/api/projects/{hz}/reception/pause", "mgr.sh",
                      json={"user_id": chen, "paused": True}).status_code == 404
    assert suite.post(f"/api/projects/{hz}/reception/leave", "mgr.sh",
                      json={"user_id": chen}).status_code == 404
    assert names_in_line(suite, hz) == ["陈晓明"]
