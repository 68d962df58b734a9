"""The desk's 导入客户 and 客群与活动 at 1440 px (screenshots at 375 px too): a manager imports a
messy list (an unusual phone header mapped by hand, duplicates, a bad phone, full-width
digits, a blank line), watches it finish and reads and downloads the per-row report; a
manager's segment count changes as a tag is added (opted-out customers never counted), the
segment is saved and a campaign started on it is followed until delivered. Both pages pass
axe-core at both widths."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
from openpyxl import load_workbook

from tests.waiting import eventually
from tests.web.conftest import DESK, new_phone, project_id
from tests.web.test_desk import check_pages
from tests.web.test_pages import audited, serious_violations  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def at_desk(app) -> None:
    app.page.set_viewport_size(DESK)


def shoot(app, name: str) -> None:
    app.shoot(name)          # 375 and 1440 px; it leaves the phone's size behind
    at_desk(app)


def messy_csv() -> bytes:
    """Row numbers as the report gives them (the header is row 1)."""
    first, second = new_phone(), new_phone()
    rows = [
        ["客户姓名", "Mobile No.", "来源", "备注"],
        ["导入张三", first, "抖音", "样板间"],                          # 2 created
        ["导入李四", first.translate(FULL_WIDTH), "", ""],              # 3 = row 2: merged
        ["", "", "", ""],                                               # 4 blank: skipped
        ["导入王五", "1380013800", "贝壳", ""],                         # 5 ten digits: rejected
        ["导入赵六", f"{second[:3]} {second[3:7]} {second[7:]}", "", ""],  # 6 created
        ["导入赵六", f"+86-{second}", "", "又来一次"],                  # 7 = row 6: merged
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_a_messy_import_shows_its_mapping_progress_and_report(app, suite, tmp_path):
    listed = tmp_path / "客户名单.csv"
    listed.write_bytes(messy_csv())
    at_desk(app)
    page = app.sign_in("mgr.hz", then="/desk/imports")
    page.get_by_role("heading", name="导入客户").wait_for()
    project = suite.get("/api/me/projects", "mgr.hz").json()["items"][0]
    page.get_by_label("项目", exact=True).select_option(label=project["name"])
    page.get_by_label(re.compile("^文件")).set_input_files(str(listed))

    # The recognised mapping: "Mobile No." is no header we know, so the phone is missing.
    mapping = page.locator("[data-test=mapping]")
    mapping.get_by_text("缺少必需的列：手机号").wait_for()
    assert mapping.get_by_label("“客户姓名”导入为").input_value() == "name"
    assert mapping.get_by_label("“来源”导入为").input_value() == "channel"
    assert mapping.get_by_role("button", name="开始导入").is_disabled()
    shoot(app, "desk-import-mapping")
    mapping.get_by_label("“Mobile No.”导入为").select_option(label="手机号")
    mapping.get_by_label("“备注”导入为").select_option(label="不导入")
    mapping.get_by_role("button", name="开始导入").click()

    progress = page.locator("[data-test=import-progress]")
    progress.get_by_role("progressbar", name="导入进度").wait_for()
    words = progress.locator("[data-test=import-words]")
    words.get_by_text("已完成 · 已处理 5/5 行：新建 2，合并 2，未导入 1").wait_for(timeout=30_000)
    assert progress.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"

    report = page.locator("[data-test=import-report]")
    bad = report.locator("tr", has=page.get_by_role("cell", name="5", exact=True))
    bad.get_by_text("未导入").wait_for()
    assert bad.get_by_role("cell", name="手机号").count() == 1        # the field, in words
    assert "Mobile No." in bad.inner_text()                          # the column it came from
    merged = report.locator("tr", has=page.get_by_role("cell", name="3", exact=True))
    assert "合并" in merged.inner_text()
    shoot(app, "desk-import-report")

    with page.expect_download() as got:
        progress.get_by_role("link", name="下载逐行报告（.xlsx）").click()
    book = load_workbook(io.BytesIO(got.value.path().read_bytes()), read_only=True)
    lines = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)
             if row[0] is not None}
    assert lines[5][1] == "拒绝" and lines[5][3] == "phone", lines[5]
    assert {n for n, line in lines.items() if line[1] == "合并"} == {3, 7}

    # The mapping chosen is the one the job ran with (the note column left out).
    job = re.search(r"/api/imports/([0-9a-f-]{36})/report.xlsx", got.value.url).group(1)
    ran = suite.get(f"/api/imports/{job}", "mgr.hz").json()
    assert ran["columns"] == {"客户姓名": "name", "Mobile No.": "phone", "来源": "channel"}
    assert ran["ignored_columns"] == ["备注"]


def enter(suite, user: str, **tags) -> str:
    """A lead entered by a consultant (who keeps it), with these tags: the customer's id."""
    entered = suite.post("/api/leads", user, headers={"Idempotency-Key": str(uuid.uuid4())},
                         json={"name": "客群测试", "phone": new_phone(), "channel": "walk_in",
                               "project_id": project_id(suite, user)})
    assert entered.status_code == 201, entered.text
    customer = entered.json()["customer_id"]
    profile = eventually(lambda: suite.get(f"/api/customers/{customer}", user))
    edited = suite.send("PATCH", f"/api/customers/{customer}", user, None, json={
        "version": profile.json()["version"], "tags": tags})
    assert edited.status_code == 200, edited.text
    return customer


def count(suite, user: str, **filter_) -> int:
    answer = suite.post("/api/segments/count", user, json=filter_)
    assert answer.status_code == 200, answer.text
    return answer.json()["count"]


def test_a_segment_count_follows_the_filter_and_a_campaign_is_delivered(app, suite):
    enter(suite, "hz.li", family=["三代同堂"])
    enter(suite, "hz.li", family=["二人世界"])
    opted = enter(suite, "hz.li", family=["三代同堂"])
    assert suite.post(f"/api/customers/{opted}/marketing-opt-out", "hz.li",
                      json={"opt_out": True}).status_code == 200
    everyone = count(suite, "mgr.hz", opted_out=False)
    tagged = count(suite, "mgr.hz", tags=["family:三代同堂"], opted_out=False)
    assert 1 <= tagged < everyone
    assert count(suite, "mgr.hz", tags=["family:三代同堂"]) == tagged + 1   # the opted-out one

    at_desk(app)
    page = app.sign_in("mgr.hz", then="/desk/segments")
    shown = page.locator("[data-test=segment-count]")
    shown.get_by_text(f"符合条件 {everyone} 位客户").wait_for()
    assert "已排除退订客户" in shown.inner_text()
    page.locator("[data-test=segment-tags]").get_by_label("三代同堂").check()
    shown.get_by_text(f"符合条件 {tagged} 位客户").wait_for()
    shoot(app, "desk-segments")

    name = f"三代同堂 {uuid.uuid4().hex[:6]}"
    page.get_by_label("客群名称").fill(name)
    page.get_by_role("button", name="保存客群").click()
    page.get_by_text("客群已保存").wait_for()
    row = page.locator("[data-test=segments] tr", has_text=name)
    row.get_by_role("cell", name=str(tagged), exact=True).wait_for()

    row.get_by_role("button", name=f"向“{name}”发起活动").click()
    dialog = page.get_by_role("dialog", name="发起营销活动")
    dialog.get_by_role("button", name="发起活动").click()
    dialog.get_by_text("请填写消息内容").wait_for()                 # beside the field
    assert dialog.get_by_label("消息内容").get_attribute("aria-invalid") == "true"
    dialog.get_by_label("发送渠道").select_option(label="微信")
    dialog.get_by_label("消息内容").fill("周末家庭开放日，欢迎三代同堂的家庭来访")
    with page.expect_request(re.compile(r"/api/campaigns$")) as sent:
        dialog.get_by_role("button", name="发起活动").click()
    assert sent.value.headers.get("idempotency-key")        # a retry would not send twice
    page.get_by_text(f"活动已发起，发送给 {tagged} 位客户").wait_for()

    campaign = page.locator("[data-test=campaigns] tr", has_text=name)
    campaign.get_by_text("已完成").wait_for(timeout=30_000)     # the page polls until done
    assert f"已送达 {tagged}，失败 0，未发送 0 / 共 {tagged} 位" in campaign.inner_text()
    shoot(app, "desk-campaigns")


def test_a_campaign_started_again_with_its_key_is_not_sent_twice(suite):
    enter(suite, "hz.li", focus=["车位"])
    saved = suite.post("/api/segments", "mgr.hz", json={"name": "重试",
                                                        "filter": {"tags": ["focus:车位"]}})
    assert saved.status_code == 201, saved.text
    body = {"segment_id": saved.json()["id"], "channel": "in_app", "message": "样板间开放"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = suite.post("/api/campaigns", "mgr.hz", headers=key, json=body)
    again = suite.post("/api/campaigns", "mgr.hz", headers=key, json=body)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"], again.text
    listed = suite.get("/api/campaigns", "mgr.hz").json()["items"]
    assert [c["id"] for c in listed].count(first.json()["id"]) == 1
    assert sum(c["message"] == "样板间开放" and c["segment_id"] == body["segment_id"]
               for c in listed) == 1
    other = suite.post("/api/campaigns", "mgr.hz", headers=key, json={**body, "message": "别的"})
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"


def test_a_bad_filter_is_refused_beside_its_field(app, suite):
    at_desk(app)
    page = app.sign_in("mgr.hz", then="/desk/segments")
    page.locator("[data-test=segment-count]").get_by_text("符合条件").wait_for()
    page.get_by_label(re.compile("^沉默天数")).fill("3.5")
    page.get_by_text("请输入整数天数").wait_for()
    page.get_by_label(re.compile("^沉默天数")).fill("99999")      # past the API's limit
    page.locator("#seg-silent-error").wait_for()
    assert page.get_by_label(re.compile("^沉默天数")).get_attribute("aria-invalid") == "true"


GROWTH_PAGES = [("desk-imports", "/desk/imports", "选择项目和文件"),
                ("desk-segments-axe", "/desk/segments", "已保存的客群")]


def test_growth_pages_pass_axe(audited, suite):  # noqa: F811
    saved = suite.post("/api/segments", "mgr.hz", json={"name": "意向客户",
                                                        "filter": {"stages": ["intent"]}})
    assert saved.status_code == 201, saved.text
    audited.sign_in("mgr.hz")
    problems = check_pages(audited, GROWTH_PAGES)
    page = audited.go("/desk/segments")
    page.locator("[data-test=segments] button").first.click(timeout=5_000)
    page.get_by_role("dialog", name="发起营销活动").wait_for()
    found = serious_violations(page)
    if found:
        problems["campaign-dialog"] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
