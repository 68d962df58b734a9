"""Notifications through the tasks service on real RabbitMQ and PostgreSQL, with real local
HTTP servers standing in for the WeCom and DingTalk robots and an SMS provider."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.orm import Session

from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, ValidationFailed
from contracts.tasks import NoticeKind
from services.tasks.notify import Notice, notify
from services.tasks.service import TasksService
from tests.service.conftest import add_users, call, count, purge_event_queues, wait_for
from tests.standins import StandIn, answer_always, fail_first

# Retries within the test's patience: 0.2 s, 0.4 s, ... at most 3 tries.
FAST = {"notify_retry_seconds": 0.2, "notify_retry_max_seconds": 1.0,
        "notify_max_attempts": 3, "notify_http_timeout_seconds": 2.0}


@pytest.fixture
def start_tasks(infra, container_factory, world, engine):
    """Start a TasksService whose deliveries retry fast; the world's users in its copy.
    Afterwards no delivery of this test's company is left for later tests' services."""
    settings = infra.model_copy(update=FAST)

    def _start(**overrides):
        purge_event_queues(settings, TasksService.name)
        current = settings.model_copy(update=overrides)
        container = container_factory(TasksService, current.nameko_config("tasks")
                                      | {"KEYUAN_SETTINGS": current})
        container.start()
        add_users(container, *world.users.values())
        return container

    world.user("admin", Role.admin, projects=[])
    world.user("a")
    world.user("b")
    world.user("mgr", Role.manager)
    yield _start
    with engine.begin() as conn:
        conn.execute(text("UPDATE tasks.deliveries SET status = 'failed', last_error = "
                          "'test over' WHERE company_id = :c AND status = 'pending'"),
                     {"c": world.company})


@pytest.fixture
def tasks(start_tasks):
    return start_tasks()


def configure(container, world, settings: dict) -> dict:
    return call(container, "configure_notifications", world.token("admin"), settings)


def route_to(container, world, channel: str, channel_settings: dict,
             kinds=(NoticeKind.task_overdue,)) -> dict:
    return configure(container, world, {"channels": {channel: channel_settings},
                                        "routes": {k.value: ["inbox", channel] for k in kinds}})


def tell(engine, world, who: str, title: str, kind=NoticeKind.task_overdue,
         key: str | None = None, **extra):
    """What the SOP engine does: notify() in its own transaction, then commit."""
    with Session(engine) as session:
        queued = notify(session, Notice(
            company_id=world.company, recipient_id=world.users[who]["id"], kind=kind,
            title=title, body=extra.pop("body", "请尽快联系客户"), link=extra.pop("link", None),
            dedupe_key=key or f"test:{uuid.uuid4()}", **extra))
        session.commit()
        return queued


def metric(name: str, channel: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": channel}) or 0.0


def delivery(engine, notification_id, channel: str = "wecom") -> dict:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, attempts, last_error, sent_at FROM "
                                "tasks.deliveries WHERE notification_id = :n AND channel = :c"),
                           {"n": notification_id, "c": channel}).mappings().first()
    return dict(row) if row else {}


# --- WeCom: the text arrives, once ----------------------------------------------------------

def test_an_overdue_notice_arrives_at_the_wecom_robot_and_in_the_inbox(tasks, world, engine):
    sent_before = metric("keyuan_notifications_sent_total", "wecom")
    with StandIn() as robot:
        route_to(tasks, world, "wecom", {"url": f"{robot.url}/cgi-bin/webhook/send?key=K1"})
        queued = tell(engine, world, "a", "任务已逾期：首次联系客户", link="/tasks/1",
                      key="task_overdue:1")
        assert queued.deliveries == {"wecom": None}
        wait_for(lambda: delivery(engine, queued.notification_id).get("status") == "sent")
    [received] = robot.received
    assert received.path == "/cgi-bin/webhook/send" and received.query == {"key": "K1"}
    assert received.body["msgtype"] == "text"
    assert received.text == "【客源】任务已逾期：首次联系客户\na：请尽快联系客户\n/tasks/1"
    assert delivery(engine, queued.notification_id)["attempts"] == 1
    assert metric("keyuan_notifications_sent_total", "wecom") >= sent_before + 1
    inbox = call(tasks, "notifications", world.token("a"))
    assert inbox["unread"] == 1
    assert inbox["items"][0]["title"] == "任务已逾期：首次联系客户"


def test_the_same_dedupe_key_notifies_once(tasks, world, engine):
    with StandIn() as robot:
        route_to(tasks, world, "wecom", {"url": f"{robot.url}/send?key=K"})
        first = tell(engine, world, "a", "逾期一次", key="task_overdue:42:1")
        assert tell(engine, world, "a", "逾期一次", key="task_overdue:42:1") is None
        other_recipient = tell(engine, world, "mgr", "逾期一次", key="task_overdue:42:1")
        assert other_recipient is not None   # the manager is told too, under the same key
        wait_for(lambda: delivery(engine, other_recipient.notification_id).get("status")
                 == "sent")
        wait_for(lambda: delivery(engine, first.notification_id).get("status") == "sent")
    assert len(robot.received) == 2
    assert count(engine, "SELECT count(*) FROM tasks.notifications WHERE company_id = :c AND "
                 "dedupe_key = 'task_overdue:42:1'", c=world.company) == 2


def test_send_test_notice_goes_over_the_kinds_route(tasks, world, engine):
    with StandIn() as robot:
        route_to(tasks, world, "wecom", {"url": f"{robot.url}/send?key=K"},
                 kinds=(NoticeKind.escalation,))
        answer = call(tasks, "send_test_notice", world.token("admin"), {"kind": "escalation"})
        assert answer["channels"] == ["inbox", "wecom"] and answer["skipped"] == {}
        wait_for(lambda: robot.received)
        assert "测试通知" in robot.texts()[0]
        inbox_only = call(tasks, "send_test_notice", world.token("admin"),
                          {"kind": "task_due_soon"})
        assert inbox_only["channels"] == ["inbox"]
    with pytest.raises(Forbidden):
        call(tasks, "send_test_notice", world.token("a"), {"kind": "escalation"})
    with pytest.raises(ValidationFailed) as refused:
        call(tasks, "send_test_notice", world.token("admin"), {"kind": "nonsense"})
    assert refused.value.field == "kind"


def test_a_channel_test_goes_over_that_channel_and_tells_how_it_fared(tasks, world, engine):
    admin = world.token("admin")
    with StandIn() as robot, StandIn(answer_always(200, {"errcode": 310000,
                                                         "errmsg": "sign not match"})) as ding:
        configure(tasks, world, {"channels": {          # configured, but no route names them
            "wecom": {"url": f"{robot.url}/send?key=K"},
            "dingtalk": {"url": f"{ding.url}/robot/send?access_token=T"}}})
        sent = call(tasks, "send_test_notice", admin, {"kind": "escalation", "channel": "wecom"})
        assert sent["channels"] == ["inbox", "wecom"]
        done = wait_for(lambda: (r := call(tasks, "test_notice_result", admin,
                                           sent["notification_id"]))["deliveries"][0]["status"]
                        != "pending" and r)
        assert done["deliveries"] == [{"channel": "wecom", "status": "sent", "attempts": 1,
                                       "error": None,
                                       "sent_at": done["deliveries"][0]["sent_at"]}]
        assert len(robot.received) == 1 and "测试通知" in robot.texts()[0]
        failing = call(tasks, "send_test_notice", admin, {"channel": "dingtalk"})
        tried = wait_for(lambda: (r := call(tasks, "test_notice_result", admin,
                                            failing["notification_id"]))["deliveries"][0]
                         ["error"] and r)
        assert "310000" in tried["deliveries"][0]["error"]
        assert "access_token" not in tried["deliveries"][0]["error"]
        assert len(robot.received) == 1                 # the wecom robot heard nothing more
    with pytest.raises(NotFound):
        call(tasks, "test_notice_result", admin, str(uuid.uuid4()))
    with pytest.raises(Forbidden):
        call(tasks, "test_notice_result", world.token("a"), sent["notification_id"])


# --- retries, failures, metrics -------------------------------------------------------------

def test_a_robot_failing_twice_gets_the_notice_on_the_third_try(tasks, world, engine):
    sent_before = metric("keyuan_notifications_sent_total", "wecom")
    failed_before = metric("keyuan_notification_failures_total", "wecom")
    with StandIn(fail_first(2)) as robot:
        route_to(tasks, world, "wecom", {"url": f"{robot.url}/send?key=K"})
        queued = tell(engine, world, "a", "重试三次")
        done = wait_for(lambda: delivery(engine, queued.notification_id).get("status") == "sent"
                        and delivery(engine, queued.notification_id))
    assert done["attempts"] == 3 and done["last_error"] is None
    assert [r.text.splitlines()[0] for r in robot.received] == ["【客源】重试三次"] * 3
    assert metric("keyuan_notification_failures_total", "wecom") >= failed_before + 2
    assert metric("keyuan_notifications_sent_total", "wecom") >= sent_before + 1


def test_a_robot_that_always_fails_is_given_up_after_the_limit(tasks, world, engine):
    failed_before = metric("keyuan_notification_failures_total", "dingtalk")
    abandoned_before = metric("keyuan_notifications_abandoned_total", "dingtalk")
    with StandIn(answer_always(200, {"errcode": 310000, "errmsg": "sign not match"})) as bot:
        route_to(tasks, world, "dingtalk", {"url": f"{bot.url}/robot/send?access_token=T"})
        queued = tell(engine, world, "a", "总是失败")
        done = wait_for(lambda: delivery(engine, queued.notification_id, "dingtalk")
                        .get("status") == "failed"
                        and delivery(engine, queued.notification_id, "dingtalk"))
    assert done["attempts"] == FAST["notify_max_attempts"] == len(bot.received)
    assert "errcode 310000" in done["last_error"]
    assert metric("keyuan_notification_failures_total", "dingtalk") >= failed_before + 3
    assert metric("keyuan_notifications_abandoned_total", "dingtalk") >= abandoned_before + 1


def test_an_unreachable_robot_fails_without_its_key_in_the_error(tasks, world, engine):
    with StandIn() as gone:
        url = f"{gone.url}/send?key=SECRETKEY"
    route_to(tasks, world, "wecom", {"url": url})      # nothing listens there any more
    queued = tell(engine, world, "a", "无人接收")
    done = wait_for(lambda: delivery(engine, queued.notification_id).get("status") == "failed"
                    and delivery(engine, queued.notification_id))
    assert "ConnectionError" in done["last_error"] and "SECRETKEY" not in done["last_error"]


def test_waiting_deliveries_are_in_the_pending_gauge(tasks, world, engine):
    with StandIn() as robot:
        route_to(tasks, world, "wecom", {"url": f"{robot.url}/send?key=K"})
        with engine.begin() as conn:   # due in an hour: they wait
            later = [tell_in(conn, world, "a", f"稍后 {n}") for n in range(3)]
            conn.execute(text("UPDATE tasks.deliveries SET next_attempt_at = now() + "
                              "interval '1 hour' WHERE notification_id = ANY(:ids)"),
                         {"ids": later})
        wait_for(lambda: metric("keyuan_notifications_pending", "wecom") >= 3)
        with engine.begin() as conn:
            conn.execute(text("UPDATE tasks.deliveries SET next_attempt_at = now() WHERE "
                              "notification_id = ANY(:ids)"), {"ids": later})
        wait_for(lambda: len(robot.received) == 3)


def tell_in(conn, world, who: str, title: str):
    with Session(bind=conn) as session:
        return notify(session, Notice(
            company_id=world.company, recipient_id=world.users[who]["id"],
            kind=NoticeKind.task_overdue, title=title,
            dedupe_key=f"test:{uuid.uuid4()}")).notification_id


# --- DingTalk signature and SMS -------------------------------------------------------------

def test_a_signed_dingtalk_robot_and_sms_to_the_managers_phone(tasks, world, engine):
    mgr = world.users["mgr"]["id"]
    with StandIn() as ding, StandIn(answer_always(200, {"status": "queued"})) as sms:
        configure(tasks, world, {
            "channels": {"dingtalk": {"url": f"{ding.url}/robot/send?access_token=T",
                                      "secret": "SEC123"},
                         "sms": {"url": f"{sms.url}/v1/sms", "api_key": "APIKEY",
                                 "sender": "客源", "templates": {"escalation": "SMS_ESC"},
                                 "phones": {mgr: "138-0013-8000"}}},
            "routes": {"escalation": ["inbox", "dingtalk", "sms"]}})
        to_manager = tell(engine, world, "mgr", "升级：任务逾期24小时", kind=NoticeKind.escalation)
        to_owner = tell(engine, world, "a", "升级：任务逾期24小时", kind=NoticeKind.escalation)
        assert to_manager.deliveries == {"dingtalk": None, "sms": None}
        assert "no phone" in to_owner.deliveries["sms"]
        wait_for(lambda: len(ding.received) == 2 and sms.received)
    for received in ding.received:
        stamp = received.query["timestamp"]
        expected = base64.b64encode(hmac.new(b"SEC123", f"{stamp}\nSEC123".encode(),
                                             hashlib.sha256).digest()).decode()
        assert received.query["sign"] == expected and received.query["access_token"] == "T"
    [message] = sms.received
    assert message.headers["Authorization"] == "Bearer APIKEY"
    assert message.body["phone"] == "+8613800138000" and message.body["template"] == "SMS_ESC"
    assert message.body["sender"] == "客源"
    assert message.body["params"]["title"] == "升级：任务逾期24小时"
    skipped = delivery(engine, to_owner.notification_id, "sms")
    assert skipped["status"] == "skipped" and "no phone" in skipped["last_error"]


# --- two replicas ---------------------------------------------------------------------------

def test_two_replicas_never_send_the_same_delivery_twice(start_tasks, world, engine):
    first = start_tasks(notify_batch_size=3)
    start_tasks(notify_batch_size=3)
    with StandIn(delay=0.05) as robot:
        route_to(first, world, "wecom", {"url": f"{robot.url}/send?key=K"})
        titles = {f"并发 {n}" for n in range(30)}
        for title in sorted(titles):
            tell(engine, world, "a", title)
        wait_for(lambda: count(engine, "SELECT count(*) FROM tasks.deliveries WHERE company_id"
                               " = :c AND status = 'sent'", c=world.company) == 30, timeout=30)
    arrived = [t.splitlines()[0].removeprefix("【客源】") for t in robot.texts()]
    assert sorted(arrived) == sorted(titles)   # each exactly once


# --- the inbox ------------------------------------------------------------------------------

def test_each_user_sees_and_reads_only_their_own_notices(tasks, world, engine):
    mine = [tell(engine, world, "a", f"给a {n}").notification_id for n in range(3)]
    theirs = tell(engine, world, "b", "给b").notification_id
    inbox = call(tasks, "notifications", world.token("a"))
    assert {i["id"] for i in inbox["items"]} == {str(n) for n in mine}
    assert inbox["unread"] == inbox["total"] == 3
    assert [i["title"] for i in inbox["items"]] == ["给a 2", "给a 1", "给a 0"]   # newest first
    with pytest.raises(NotFound):
        call(tasks, "read_notification", world.token("a"), str(theirs))
    with pytest.raises(ValidationFailed) as bad:
        call(tasks, "read_notification", world.token("a"), "not-an-id")
    assert bad.value.field == "notification_id"

    read = call(tasks, "read_notification", world.token("a"), str(mine[0]))
    assert read["read"] is True and read["read_at"]
    again = call(tasks, "read_notification", world.token("a"), str(mine[0]))
    assert again["read_at"] == read["read_at"]
    unread = call(tasks, "notifications", world.token("a"), {"unread": "true"})
    assert unread["total"] == unread["unread"] == 2
    assert str(mine[0]) not in {i["id"] for i in unread["items"]}
    paged = call(tasks, "notifications", world.token("a"), {"page": "2", "page_size": "2"})
    assert len(paged["items"]) == 1 and paged["total"] == 3 and paged["unread"] == 2

    assert call(tasks, "read_all_notifications", world.token("a"))["marked"] == 2
    assert call(tasks, "notifications", world.token("a"))["unread"] == 0
    assert call(tasks, "notifications", world.token("b"))["unread"] == 1   # untouched
    with pytest.raises(ValidationFailed) as bad_query:
        call(tasks, "notifications", world.token("a"), {"page": "0"})
    assert bad_query.value.field == "page"


# --- settings -------------------------------------------------------------------------------

def test_settings_are_admin_only_with_secrets_encrypted_and_masked(tasks, world, engine):
    shown = configure(tasks, world, {
        "channels": {
            "wecom": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
                             "?key=WECOM-ROBOT-KEY"},
            "dingtalk": {"url": "https://oapi.dingtalk.com/robot/send"
                                "?access_token=DING-ACCESS-TOKEN",
                         "secret": "DING-SIGN-SECRET"}},
        "routes": {"task_overdue": ["inbox", "wecom"], "escalation": ["dingtalk"]}})
    assert shown["channels"]["wecom"]["url"] == "https://qyapi.weixin.qq.com/****"
    assert shown["channels"]["dingtalk"]["secret"] == "****"
    assert shown["revision"] == 1
    assert call(tasks, "notification_settings", world.token("admin")) == shown
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT config::text FROM tasks.notification_settings "
                                   "WHERE company_id = :c"), {"c": world.company}).scalar_one()
    for secret in ("WECOM-ROBOT-KEY", "DING-ACCESS-TOKEN", "DING-SIGN-SECRET"):
        assert secret not in stored

    for who in ("a", "mgr"):
        with pytest.raises(Forbidden):
            call(tasks, "notification_settings", world.token(who))
        with pytest.raises(Forbidden):
            call(tasks, "configure_notifications", world.token(who), {"routes": {}})

    for body, field in [
        ({"channels": {"wecom": {"url": "ftp://x"}}}, "channels.wecom.url"),
        ({"channels": {"sms": {"url": "https://s/x", "sender": "k"}}}, "channels.sms.api_key"),
        ({"routes": {"task_overdue": ["fax"]}}, "routes.task_overdue.0"),
        ({"routes": {"task_overdue": ["sms"]}}, "routes.task_overdue"),
        ({"channels": {"teams": {}}}, "channels.teams"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            configure(tasks, world, body)
        assert refused.value.field == field, body
    assert call(tasks, "notification_settings", world.token("admin"))["revision"] == 1
