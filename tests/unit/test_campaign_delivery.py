"""Delivering a campaign, the rules without I/O: each recipient's first status, the SMS
parameters, the consultant's forward notice, the counts and the progress report, and the
SMS provider settings a campaign uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from contracts.tasks import NotificationConfig
from kit.crypto import Vault
from kit.settings import Settings
from services.tasks.notify import campaign_rules as rules
from services.tasks.notify import config

VAULT = Vault.from_settings(Settings(env="test"))
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CAMPAIGN = uuid.UUID("00000000-0000-0000-0000-0000000000c1")


def recipient(**fields) -> rules.Recipient:
    return rules.Recipient(customer_id=uuid.uuid4(), name="张三", **fields)


@pytest.mark.parametrize(("channel", "fields", "expected"), [
    ("sms", {"phone_enc": "v1.k.x", "owner_id": None}, ("pending", None)),
    ("sms", {"phone_enc": None, "owner_id": uuid.uuid4()}, ("not_sent", rules.NO_PHONE)),
    ("wechat", {"owner_id": uuid.uuid4()}, ("pending", None)),
    ("wechat", {"owner_id": None}, ("not_sent", "公海客户无归属顾问")),
    ("in_app", {"owner_id": None, "phone_enc": "v1.k.x"}, ("not_sent", "公海客户无归属顾问")),
])
def test_each_recipient_starts_pending_unless_nothing_can_reach_them(channel, fields,
                                                                      expected):
    assert rules.first_status(channel, recipient(**fields)) == expected


def test_the_sms_carries_the_message_and_the_opt_out_link_under_the_public_address():
    assert rules.sms_params("周末开放日", "/api/marketing/opt-out/AbC.dEf",
                            "https://crm.example.com/") == {
        "message": "周末开放日",
        "opt_out_link": "https://crm.example.com/api/marketing/opt-out/AbC.dEf"}
    assert rules.sms_params("x", "/api/marketing/opt-out/t", "")["opt_out_link"] == \
        "/api/marketing/opt-out/t"


def test_a_forward_notice_names_the_count_the_message_and_the_customers():
    notice = rules.forward_notice(CAMPAIGN, "wechat", "业主答谢会", 2, ["李四", "张三"])
    assert notice.title == "营销活动：请向您的 2 位客户发送"
    assert "业主答谢会" in notice.body and "企业微信" in notice.body
    assert "李四、张三（共 2 位）" in notice.body and "等" not in notice.body
    assert notice.link == f"/campaigns/{CAMPAIGN}"


def test_a_forward_notice_shows_the_first_twenty_names_then_etc():
    names = [f"客户{n:02d}" for n in range(20)]
    notice = rules.forward_notice(CAMPAIGN, "in_app", "新品加推", 35, names)
    assert notice.title == "营销活动：请向您的 35 位客户发送"
    assert "客户19等（共 35 位）" in notice.body and "App" in notice.body
    more = rules.forward_notice(CAMPAIGN, "wechat", "m", 25, [*names, "客户20", "客户21"])
    assert "客户20" not in more.body and "客户19等" in more.body


def test_pending_is_what_is_neither_delivered_failed_nor_not_sent():
    counts = rules.Counts().plus({"not_sent": 1}, new_recipients=5)
    assert (counts.recipients, counts.not_sent, counts.pending) == (5, 1, 4)
    counts = counts.plus({"delivered": 2, "failed": 1})
    assert (counts.delivered, counts.failed, counts.pending) == (2, 1, 1)


@pytest.mark.parametrize(("resolved", "counts", "finished"), [
    (False, rules.Counts(3, 3, 0, 0), False),      # more pages may follow
    (True, rules.Counts(3, 2, 0, 0), False),       # one still pending
    (True, rules.Counts(3, 1, 1, 1), True),
    (True, rules.Counts(0, 0, 0, 0), True),        # nobody left (all opted out since)
])
def test_a_campaign_is_finished_when_resolved_and_nothing_is_pending(resolved, counts,
                                                                     finished):
    report = rules.progress(CAMPAIGN, uuid.uuid4(), counts, resolved, 7, NOW)
    assert report.finished is finished and report.pending == counts.pending
    assert report.revision == 7 and report.recipients == counts.recipients


def test_a_recipient_page_reads_the_integration_fields_and_cuts_long_text():
    customer, owner = uuid.uuid4(), uuid.uuid4()
    page = rules.RecipientPage.model_validate({
        "campaign_id": str(CAMPAIGN), "next_after": str(customer),
        "items": [{"customer_id": str(customer), "name": "王" * 300, "phone_masked": "138****",
                   "phone_enc": "v1.k.x", "owner_id": str(owner), "opt_out_token": "t",
                   "opt_out_path": "/api/marketing/opt-out/t"}]})
    [item] = page.items
    assert item.owner_id == owner and item.phone_enc == "v1.k.x"
    assert len(item.name) == 200 and page.next_after == customer
    assert rules.RecipientPage.model_validate({"items": []}).next_after is None


def test_a_campaign_uses_the_sms_channels_provider_without_a_users_phone():
    stored = config.merge({}, NotificationConfig.model_validate({"channels": {"sms": {
        "url": "https://sms.example.com/send", "api_key": "APIKEY", "sender": "客源",
        "templates": {"campaign": "SMS_MKT"}}}}), VAULT)
    assert config.opened_sms(stored, VAULT) == {
        "url": "https://sms.example.com/send", "api_key": "APIKEY", "sender": "客源",
        "templates": {"campaign": "SMS_MKT"}}
    with pytest.raises(config.NotConfigured, match="no sms channel"):
        config.opened_sms({}, VAULT)


def test_marketing_hours_are_shanghai_time_and_may_run_past_midnight():
    within_hours = rules.within_hours

    def at(hour, minute=0):   # Asia/Shanghai is UTC+8
        return datetime(2026, 11, 23, (hour - 8) % 24, minute, tzinfo=UTC)

    assert within_hours(at(9), "09:00-21:00") and within_hours(at(20, 59), "09:00-21:00")
    assert not within_hours(at(21), "09:00-21:00") and not within_hours(at(8, 59), "09:00-21:00")
    assert within_hours(at(23), "20:00-02:00") and within_hours(at(1), "20:00-02:00")
    assert not within_hours(at(12), "20:00-02:00")
    assert within_hours(at(3), "00:00-00:00")
