"""Notification rules without I/O: DingTalk's signature, route selection, the retry schedule,
the stored settings (secrets sealed, masked in the view) and the robots' answers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from contracts.errors import ValidationFailed
from contracts.tasks import NotificationConfig
from kit.crypto import Vault
from kit.settings import Settings
from services.tasks.notify import Notice, channels, config, domain

VAULT = Vault.from_settings(Settings(env="test"))
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


# --- DingTalk -------------------------------------------------------------------------------

def test_dingtalk_sign_matches_the_documented_recipe():
    # printf '1700000000000\nSECtest123' | openssl dgst -sha256 -hmac SECtest123 -binary | base64
    assert channels.dingtalk_sign("SECtest123", 1700000000000) == \
        "w3RMHXzixTMdzr8OHJUmVLS4IoPJVdu+Ut1LE48MePE="


def test_a_dingtalk_request_with_a_secret_carries_timestamp_and_url_encoded_sign():
    request = channels.dingtalk("https://oapi.dingtalk.com/robot/send?access_token=abc",
                                "SECtest123", "你好", 1700000000000)
    query = parse_qs(urlsplit(request.url).query)
    assert query == {"access_token": ["abc"], "timestamp": ["1700000000000"],
                     "sign": ["w3RMHXzixTMdzr8OHJUmVLS4IoPJVdu+Ut1LE48MePE="]}
    assert "%2B" in request.url and "%3D" in request.url   # + and = encoded
    assert request.json == {"msgtype": "text", "text": {"content": "你好"}}


def test_a_dingtalk_request_without_a_secret_is_the_plain_url():
    request = channels.dingtalk("https://oapi.dingtalk.com/robot/send?access_token=abc",
                                None, "x", 1)
    assert request.url == "https://oapi.dingtalk.com/robot/send?access_token=abc"


def test_wecom_and_sms_requests():
    assert channels.wecom("http://h/send?key=k", "hi").json == {
        "msgtype": "text", "text": {"content": "hi"}}
    sms = channels.sms("http://sms/send", "KEY", "客源", "+8613800138000", "T1", {"a": "b"})
    assert sms.json == {"phone": "+8613800138000", "sender": "客源", "template": "T1",
                        "params": {"a": "b"}}
    assert sms.headers == {"Authorization": "Bearer KEY"}


@pytest.mark.parametrize(("channel", "status", "body", "ok"), [
    ("wecom", 200, '{"errcode":0,"errmsg":"ok"}', True),
    ("wecom", 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', False),
    ("dingtalk", 200, '{"errcode":310000,"errmsg":"sign not match"}', False),
    ("dingtalk", 200, "<html>", False),
    ("wecom", 502, "bad gateway", False),
    ("sms", 200, "queued", True),
    ("sms", 204, "", True),
    ("sms", 429, "slow down", False),
])
def test_a_channels_answer_is_judged(channel, status, body, ok):
    assert (channels.refusal(channel, status, body) is None) == ok


# --- routes ---------------------------------------------------------------------------------

USER, OTHER = uuid.uuid4(), uuid.uuid4()
ROUTING = domain.Routing(
    routes={"task_overdue": ("inbox", "wecom"), "escalation": ("inbox", "dingtalk", "sms"),
            "recycle_warning": ("wecom", "wecom", "dingtalk")},
    configured=frozenset({"wecom", "dingtalk", "sms"}), sms_recipients=frozenset({str(USER)}))


def test_a_kind_goes_to_its_routes_channels_and_inbox_adds_nothing():
    assert domain.plan(ROUTING, "task_overdue", USER) == [domain.Planned("wecom")]
    assert domain.plan(ROUTING, "escalation", USER) == [domain.Planned("dingtalk"),
                                                        domain.Planned("sms")]
    assert domain.plan(ROUTING, "recycle_warning", USER) == [domain.Planned("wecom"),
                                                             domain.Planned("dingtalk")]


def test_a_kind_without_a_route_and_a_company_without_settings_get_the_inbox_only():
    assert domain.plan(ROUTING, "task_due_soon", USER) == []
    assert domain.plan(domain.Routing.inbox_only(), "task_overdue", USER) == []


def test_sms_to_a_recipient_without_a_phone_is_skipped_with_the_reason():
    [_, sms] = domain.plan(ROUTING, "escalation", OTHER)
    assert sms.channel == "sms" and "no phone" in sms.skipped


def test_a_route_to_a_channel_since_removed_is_skipped():
    routing = domain.Routing({"task_overdue": ("wecom",)}, frozenset(), frozenset())
    [wecom] = domain.plan(routing, "task_overdue", USER)
    assert "no wecom channel" in wecom.skipped


# --- retries --------------------------------------------------------------------------------

def test_backoff_doubles_from_the_base_up_to_the_cap():
    waits = [domain.backoff(n, 30, 3600).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_failed_try_is_retried_later_until_the_last_attempt_then_failed():
    retry = domain.after_attempt(0, "HTTP 500", NOW, max_attempts=3, base_seconds=30,
                                 cap_seconds=3600)
    assert (retry.status, retry.attempts, retry.next_attempt_at, retry.last_error) == (
        "pending", 1, NOW + timedelta(seconds=30), "HTTP 500")
    again = domain.after_attempt(1, "HTTP 500", NOW, max_attempts=3, base_seconds=30,
                                 cap_seconds=3600)
    assert again.next_attempt_at == NOW + timedelta(seconds=60)
    last = domain.after_attempt(2, "HTTP 500", NOW, max_attempts=3, base_seconds=30,
                                cap_seconds=3600)
    assert (last.status, last.attempts) == ("failed", 3)
    sent = domain.after_attempt(2, None, NOW, max_attempts=3, base_seconds=30,
                                cap_seconds=3600)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 3, None)


# --- messages -------------------------------------------------------------------------------

def test_the_robot_text_names_title_recipient_body_and_an_absolute_link():
    link = domain.absolute_link("/tasks/1", "https://crm.example.com/")
    assert link == "https://crm.example.com/tasks/1"
    assert domain.absolute_link("https://x/y", "https://crm") == "https://x/y"
    assert domain.absolute_link("/tasks/1", "") == "/tasks/1"
    text = domain.message_text("任务已逾期", "请联系客户", link, "陈晓明")
    assert text == "【客源】任务已逾期\n陈晓明：请联系客户\nhttps://crm.example.com/tasks/1"


def test_a_long_text_is_cut_to_the_robots_limit_on_a_character_boundary():
    text = domain.message_text("标题", "长" * 2000, None)
    assert len(text.encode()) <= domain.MAX_TEXT_BYTES
    assert text.endswith("...")


# --- stored settings ------------------------------------------------------------------------

def settings_update(**data) -> NotificationConfig:
    return NotificationConfig.model_validate(data)


FULL = {"channels": {
    "wecom": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WECOMKEY"},
    "dingtalk": {"url": "https://oapi.dingtalk.com/robot/send?access_token=DINGTOKEN",
                 "secret": "SECDING"},
    "sms": {"url": "https://sms.example.com/send", "api_key": "SMSKEY", "sender": "客源",
            "templates": {"escalation": "SMS_001"}, "phones": {str(USER): "138 0013 8000"}}},
    "routes": {"task_overdue": ["inbox", "wecom"], "escalation": ["inbox", "dingtalk", "sms"]}}


def test_secrets_are_sealed_when_stored_and_masked_in_the_view():
    stored = config.merge({}, settings_update(**FULL), VAULT)
    raw = json.dumps(stored, ensure_ascii=False)
    for secret in ("WECOMKEY", "DINGTOKEN", "SECDING", "SMSKEY", "13800138000"):
        assert secret not in raw
    shown = json.dumps(config.view(stored), ensure_ascii=False)
    for secret in ("WECOMKEY", "DINGTOKEN", "SECDING", "SMSKEY", "13800138000"):
        assert secret not in shown
    view = config.view(stored)
    assert view["channels"]["wecom"] == {"url": "https://qyapi.weixin.qq.com/****"}
    assert view["channels"]["dingtalk"]["secret"] == "****"
    assert view["channels"]["sms"]["phones"] == {str(USER): "138****8000"}
    assert view["routes"]["escalation"] == ["inbox", "dingtalk", "sms"]
    assert config.opened(stored, "dingtalk", VAULT) == {
        "url": "https://oapi.dingtalk.com/robot/send?access_token=DINGTOKEN",
        "secret": "SECDING"}
    assert config.opened(stored, "sms", VAULT, str(USER))["phone"] == "+8613800138000"
    with pytest.raises(config.NotConfigured):
        config.opened(stored, "sms", VAULT, str(OTHER))


def test_the_routing_notify_needs_comes_from_the_stored_settings():
    routing = config.routing(config.merge({}, settings_update(**FULL), VAULT))
    assert routing.configured == {"wecom", "dingtalk", "sms"}
    assert routing.sms_recipients == {str(USER)}
    assert routing.routes["task_overdue"] == ("inbox", "wecom")
    assert config.routing({}) == domain.Routing.inbox_only()


def test_an_update_replaces_the_channels_sent_removes_nulls_and_keeps_the_rest():
    stored = config.merge({}, settings_update(**FULL), VAULT)
    changed = config.merge(stored, settings_update(
        channels={"wecom": {"url": "https://qyapi.weixin.qq.com/x?key=NEW"}, "sms": None},
        routes={"task_overdue": ["wecom"]}), VAULT)
    assert set(changed["channels"]) == {"wecom", "dingtalk"}
    assert changed["channels"]["dingtalk"] == stored["channels"]["dingtalk"]
    assert config.opened(changed, "wecom", VAULT)["url"].endswith("key=NEW")
    assert changed["routes"] == {"task_overdue": ["wecom"]}
    routes_kept = config.merge(changed, settings_update(channels={}), VAULT)
    assert routes_kept["routes"] == changed["routes"]


def test_a_route_to_a_channel_not_configured_is_refused_naming_the_route():
    with pytest.raises(ValidationFailed) as refused:
        config.merge({}, settings_update(routes={"task_overdue": ["inbox", "wecom"]}), VAULT)
    assert refused.value.field == "routes.task_overdue"
    stored = config.merge({}, settings_update(**FULL), VAULT)
    with pytest.raises(ValidationFailed) as removing:
        config.merge(stored, settings_update(channels={"sms": None}), VAULT)
    assert removing.value.field == "routes.escalation"


def test_a_bad_phone_is_refused_naming_the_user():
    data = json.loads(json.dumps(FULL))
    data["channels"]["sms"]["phones"] = {str(USER): "not a phone"}
    with pytest.raises(ValidationFailed) as refused:
        config.merge({}, settings_update(**data), VAULT)
    assert refused.value.field == f"channels.sms.phones.{USER}"


def test_plain_http_urls_are_refused_where_https_is_required():
    with pytest.raises(ValidationFailed) as refused:
        config.merge({}, settings_update(channels={"wecom": {"url": "http://h/x"}}), VAULT,
                     https_only=True)
    assert refused.value.field == "channels.wecom.url"


@pytest.mark.parametrize("url", ["ftp://h/x", "http://", "https://user@h/x", "h/x",
                                 "http://h /x"])
def test_a_channel_url_must_be_http_or_https(url):
    with pytest.raises(ValueError, match="url"):
        settings_update(channels={"wecom": {"url": url}})


# --- the notice -----------------------------------------------------------------------------

def test_a_notice_too_long_for_its_columns_is_cut_and_a_long_key_stays_unique():
    def notice(key: str, title: str = "任务已逾期") -> Notice:
        return Notice(company_id=USER, recipient_id=USER, kind="task_overdue", title=title,
                      body="长" * 3000, link="/x" * 400, dedupe_key=key)

    long = notice("k" * 300, "题" * 300)
    assert (len(long.title), len(long.body), len(long.link)) == (200, 2000, 500)
    assert len(long.dedupe_key) <= 200
    assert notice("k" * 300 + "1").dedupe_key != notice("k" * 300 + "2").dedupe_key
    assert notice("short").dedupe_key == "short"
    with pytest.raises(ValueError, match="title"):
        notice("k", "  ")
