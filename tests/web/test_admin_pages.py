"""The admin's 渠道, 通知 and 隐私与审计 pages at 1440 px (screenshots at 375 px too): an admin
creates a lead channel and sees its secret once (a reload does not show it; the platform's
signature with it is taken), rotates it (the old secret is refused); points the WeCom robot
at a stand-in HTTP server and 测试 says it was sent while the server got the notice, and a
robot that refuses is reported with its error; a phone revealed through the API shows in the
audit filtered by who revealed it; an erasure asked for on the page shows its result and is
listed. Every page passes axe-core at both widths."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import requests

from services.leads.channels import sign
from tests.standins import StandIn, answer_always
from tests.waiting import eventually
from tests.web.conftest import DESK, PHONE, new_phone, post_lead
from tests.web.test_pages import audited, serious_violations  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

PRESETS = ("douyin", "beike", "mini_program", "website")


def at_desk(app) -> None:
    app.page.set_viewport_size(DESK)


def shoot(app, name: str) -> None:
    app.shoot(name)          # 375 and 1440 px; it leaves the phone's size behind
    at_desk(app)


def delivered(suite, code: str, key_id: str, secret: str) -> int:
    """The status a platform gets for a signed (empty) lead posted to the channel: 401 when
    the signature is refused, 4xx about the payload once it is taken."""
    body, stamp = b"{}", str(int(time.time()))
    answer = requests.post(f"{suite.url}/api/webhooks/leads/{code}", data=body, timeout=15,
                           headers={"Content-Type": "application/json", "X-Keyuan-Key": key_id,
                                    "X-Keyuan-Timestamp": stamp, "X-Keyuan-Signature":
                                    "sha256=" + sign(secret.encode(), stamp, body)})
    return answer.status_code


def test_a_channel_secret_is_shown_once_and_rotating_it_retires_the_old(app):
    suite = app.suite
    taken = {c["code"] for c in suite.get("/api/channels", "admin").json()["items"]}
    code = next(c for c in PRESETS if c not in taken)
    page = app.sign_in("admin")
    at_desk(app)
    page = app.go("/admin/channels")
    page.get_by_role("heading", name="渠道", exact=True).wait_for()
    page.get_by_role("button", name="新建渠道").click()
    dialog = page.get_by_role("dialog", name="新建渠道")
    dialog.get_by_label("渠道", exact=True).select_option(code)
    dialog.get_by_label("显示名称（可不填）").fill(f"网页渠道{code}")
    dialog.get_by_role("button", name="创建").click()
    once = page.get_by_role("dialog", name="渠道密钥（仅显示这一次）")
    secret = once.locator("[data-test=secret]").inner_text()
    key_id = once.get_by_text(re.compile(r"^[0-9a-f-]{36}$")).inner_text()
    assert len(secret) >= 32 and f"/api/webhooks/leads/{code}" in once.inner_text()
    shoot(app, "admin-channel-secret")
    once.get_by_role("button", name="我已保存").click()
    row = page.locator(f"tr[data-code={code}]")
    row.get_by_text("接收中").wait_for()
    assert secret not in page.content()
    assert delivered(suite, code, key_id, secret) != 401        # the platform's signature is taken

    page.reload()
    row.get_by_text(f"网页渠道{code}").wait_for()
    assert secret not in page.content()                          # never shown again
    assert all("secret" not in c for c in suite.get("/api/channels", "admin").json()["items"])

    row.get_by_role("button", name=f"查看 网页渠道{code} 的字段映射").click()
    mapping = page.locator("[data-test=mapping]")
    assert "手机号" in mapping.inner_text() and "取自" in mapping.inner_text()
    shoot(app, "admin-channel-mapping")
    page.get_by_role("button", name="关闭").click()

    row.get_by_role("button", name=f"更换密钥：网页渠道{code}").click()
    page.get_by_role("button", name="确定").click()
    rotated = page.locator("[data-test=secret]")
    rotated.wait_for()
    second = rotated.inner_text()
    assert second != secret
    page.get_by_role("button", name="我已保存").click()
    assert delivered(suite, code, key_id, secret) == 401         # the old one stopped at once
    assert delivered(suite, code, key_id, second) != 401


def test_the_wecom_test_button_reports_what_the_robot_said(app):
    page = app.sign_in("admin")
    at_desk(app)
    refusing = answer_always(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    with StandIn() as robot, StandIn(refusing) as ding:
        page = app.go("/admin/notifications")
        wecom = page.locator("section[data-channel=wecom]")
        wecom.get_by_label("机器人 Webhook 地址").fill(
            f"{robot.url}/cgi-bin/webhook/send?key=WEBKEY1")
        wecom.get_by_role("button", name=re.compile("^(保存|替换设置)$")).click()
        wecom.get_by_text("已配置").wait_for()
        assert "WEBKEY1" not in page.content()                   # the robot's key is never shown
        wecom.get_by_role("button", name="测试").click()
        wecom.get_by_text("发送成功：对方已收到测试通知").wait_for(timeout=30_000)
        assert len(robot.received) == 1 and "测试通知" in robot.texts()[0]
        assert robot.received[0].query == {"key": "WEBKEY1"}

        ding_box = page.locator("section[data-channel=dingtalk]")
        ding_box.get_by_label("机器人 Webhook 地址").fill(f"{ding.url}/robot/send?access_token=T0K")
        ding_box.get_by_role("button", name=re.compile("^(保存|替换设置)$")).click()
        ding_box.get_by_text("已配置").wait_for()
        ding_box.get_by_role("button", name="测试").click()
        ding_box.get_by_text(re.compile("发送失败.*310000")).wait_for(timeout=30_000)
        assert len(ding.received) >= 1 and len(robot.received) == 1

        routes = page.locator("tr[data-kind=task_overdue]")
        routes.get_by_label(re.compile("任务已逾期发往企业微信")).check()
        page.get_by_role("button", name="保存路由").click()
        page.get_by_text("通知路由已保存").wait_for()
        shoot(app, "admin-notifications")
    settings = app.suite.get("/api/notification-settings", "admin").json()
    assert "wecom" in settings["routes"]["task_overdue"]
    assert "WEBKEY1" not in json.dumps(settings) and "T0K" not in json.dumps(settings)


def test_a_reveal_shows_in_the_audit_by_its_actor_and_an_erasure_is_listed(app):
    suite = app.suite
    name = f"审计{uuid.uuid4().hex[:4]}"
    customer_id = post_lead(suite, name, new_phone())["customer_id"]
    reason = f"网页审计核实{uuid.uuid4().hex[:6]}"
    revealed = eventually(lambda: (r := suite.post(
        f"/api/customers/{customer_id}/reveal-phone", "director", json={"reason": reason}))
        .status_code == 200 and r, 30)
    assert revealed.json()["phone"]
    director = suite.get("/api/me", "director").json()

    page = app.sign_in("admin")
    at_desk(app)
    page = app.go("/admin/privacy")
    audit = page.locator("section", has=page.get_by_role("heading", name="隐私审计"))
    audit.get_by_label("操作人").select_option(director["id"])
    table = page.locator("[data-test=audit]")
    table.get_by_text(reason).wait_for()
    row = table.locator("tr", has_text=reason)
    assert "查看号码" in row.inner_text() and director["name"] in row.inner_text()
    assert name not in row.inner_text() and name[:1] in row.inner_text()  # the name masked
    audit.get_by_label("操作人").select_option(suite.get("/api/me", "admin").json()["id"])
    table.get_by_text(reason).wait_for(state="detached")         # not the admin's reveal

    audit.get_by_label("客户ID").fill("12345")
    audit.get_by_role("button", name="查询").click()
    audit.get_by_text("请填写完整的客户ID").wait_for()
    shoot(app, "admin-privacy-audit")

    form = page.locator("section", has=page.get_by_role("heading", name="个人信息请求"))
    form.get_by_label("删除", exact=True).check()
    form.get_by_label("按客户ID").check()
    form.get_by_label("客户ID", exact=True).fill(customer_id)
    form.get_by_label("原因（存入审计，勿写手机号）").fill("本人书面申请删除")
    form.get_by_role("button", name="删除个人信息").click()
    page.get_by_role("button", name="确定").click()
    result = page.locator("[data-test=dsar-result]")
    result.get_by_text("本次删除 1 条，此前已删除 0 条").wait_for(timeout=30_000)
    past = page.locator("[data-test=past-requests]")
    past.locator("tr", has_text="本人书面申请删除").first.wait_for()
    assert "删除" in past.inner_text()
    shoot(app, "admin-privacy-erased")


ADMIN_PAGES = [("admin-channels", "/admin/channels", "渠道"),
               ("admin-notifications-page", "/admin/notifications", "通知路由"),
               ("admin-privacy", "/admin/privacy", "隐私审计")]


def test_admin_settings_pages_pass_axe(audited):  # noqa: F811
    audited.sign_in("admin")
    problems = {}
    for name, path, text in ADMIN_PAGES:
        page = audited.go(path)
        page.get_by_text(text).first.wait_for()
        page.wait_for_load_state("networkidle")
        audited.shoot(name)
        for width, size in (("375", PHONE), ("1440", DESK)):
            page.set_viewport_size(size)
            found = serious_violations(page)
            if found:
                problems[f"{name}@{width}"] = found
    page = audited.go("/admin/channels")
    page.get_by_role("button", name="新建渠道").click()
    page.get_by_label("渠道", exact=True).wait_for()
    found = serious_violations(page)
    if found:
        problems["channel-editor"] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
