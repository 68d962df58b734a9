"""今日 and the customer page at 375 px: a lead posted through the API appears on the
assigned consultant's 今日 within 5 s while the page is open; they open it, log a call, and
the first-contact task leaves the list; a stage move shows the next stage's tasks; a
follow-up with a photo; a stale edit."""

import re
import struct
import zlib

import pytest

from tests.web.conftest import new_phone, post_lead

pytestmark = pytest.mark.e2e

CONSULTANTS = ("hz.chen", "hz.li", "hz.wang")


def user_id(suite, username):
    return suite.get("/api/me", username).json()["id"]


def lead_for(suite, username, name):
    """Post leads (round-robin among three) until one is assigned to `username`."""
    for n in range(len(CONSULTANTS) + 1):
        accepted = post_lead(suite, f"{name}{n}", new_phone())
        if accepted["owner_id"] == user_id(suite, username):
            return accepted, f"{name}{n}"
    pytest.fail("round-robin never reached the consultant")


def png() -> bytes:
    raw = b"".join(b"\x00" + b"\x33\x99\xff" * 8 for _ in range(8))
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_new_lead_reaches_today_and_a_call_clears_its_first_task(app, suite):
    page = app.sign_in("hz.chen")
    page.get_by_text("新分配线索").wait_for()
    accepted, name = lead_for(suite, "hz.chen", "今日客户")
    fresh = page.locator("[data-test=fresh-leads]")
    fresh.get_by_text(name).wait_for(timeout=5_000)          # within 5 s, no reload
    first_task = page.locator("[data-task=first_contact]", has_text=name)
    first_task.wait_for()
    app.shoot("today")

    fresh.get_by_text(name).click()
    page.wait_for_url(re.compile(accepted["customer_id"]))
    page.get_by_role("heading", name=name).wait_for()
    page.locator("[data-task=first_contact]").wait_for()
    page.get_by_role("button", name="写跟进").click()
    page.get_by_label("内容").fill("电话沟通，客户周末来看三房")
    page.locator("input[type=file]").set_input_files(
        {"name": "visit.png", "mimeType": "image/png", "buffer": png()})
    page.get_by_role("button", name="保存跟进").click()
    page.get_by_text("跟进已记录").wait_for()
    page.get_by_text("电话沟通，客户周末来看三房").wait_for()
    page.get_by_role("img", name="照片 visit.png").wait_for()
    page.locator("[data-task=first_contact]").wait_for(state="detached", timeout=8_000)
    app.shoot("customer-after-call")

    page.get_by_role("button", name="推进阶段").click()
    page.locator("[data-stage=contacted]").wait_for()
    assert page.locator("[data-stage=new]").count() == 0       # never back
    page.locator("[data-stage=invited]").click()
    page.get_by_text("阶段：新线索 → 邀约到访").wait_for()
    page.locator("[data-task=send_brochure]").wait_for(timeout=8_000)   # the next stage's SOP
    app.shoot("customer-invited")

    page.goto(f"{suite.url}/today")
    page.get_by_text("待办任务").wait_for()
    page.wait_for_timeout(500)
    assert page.locator("[data-task=first_contact]", has_text=name).count() == 0


def test_a_stale_edit_says_so_and_reloads(app, suite):
    accepted, name = lead_for(suite, "hz.li", "资料客户")
    page = app.sign_in("hz.li", then=f"/customers/{accepted['customer_id']}")
    page.get_by_role("heading", name=name).wait_for()
    page.get_by_role("tab", name="资料").click()
    page.get_by_label("意向户型").fill("三房")
    current = suite.get(f"/api/customers/{accepted['customer_id']}", "hz.li").json()
    assert suite.send("PATCH", f"/api/customers/{accepted['customer_id']}", "mgr.hz", None,
                      json={"version": current["version"], "layouts": ["四房"]}).status_code == 200
    page.get_by_role("button", name="保存资料").click()
    page.get_by_text("该客户资料刚被其他人修改过").wait_for()
    app.shoot("stale-edit")
    page.get_by_role("button", name="重新加载").click()
    page.get_by_role("tab", name="资料").click()
    assert page.get_by_label("意向户型").input_value() == "四房"      # theirs, not lost
    page.get_by_label("意向户型").fill("三房")
    page.get_by_role("button", name="保存资料").click()
    page.get_by_text("资料已保存").wait_for()
    assert suite.get(f"/api/customers/{accepted['customer_id']}",
                     "hz.li").json()["portrait"]["layouts"] == ["三房"]
