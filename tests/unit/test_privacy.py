"""Privacy rules without I/O: consents, exports, merges, erasure helpers, and the scanner's
idea of a phone number."""

import re
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from contracts.actor import Actor, Role
from contracts.customers import ExportQuery, NewConsent, PersonQuery, SubjectRequest
from contracts.errors import Conflict, Forbidden, ValidationFailed
from kit import privacy as kp
from kit.crypto import Vault
from services.customers import privacy
from tests import privacy_scan

VAULT = Vault({"k1": b"0" * 32}, b"index-key")


def actor(role: Role, scopes=()) -> Actor:
    return Actor(user_id=uuid.uuid4(), company_id=uuid.uuid4(), role=role, scopes=scopes)


def customer(**fields):
    base = dict(id=uuid.uuid4(), company_id=uuid.uuid4(), project_id=uuid.uuid4(),
                name="张三", phone_enc=VAULT.seal_phone("+8613800138000").enc,
                phone_masked="138****8000", owner_id=None, stage="new", channel="douyin",
                completeness=40, marketing_opt_out=False, created_at=datetime.now(UTC),
                erased_at=None, merged_into=None)
    return SimpleNamespace(**{**base, **fields})


def consent(purpose, granted):
    return NewConsent(purpose=purpose, granted=granted, channel="wechat")


def test_withdrawing_marketing_consent_opts_out_and_granting_it_opts_back_in():
    assert privacy.opt_out_after(consent("marketing", False), False) is True
    assert privacy.opt_out_after(consent("marketing", True), True) is False
    for opted in (True, False):
        assert privacy.opt_out_after(consent("data_processing", False), opted) is opted
        assert privacy.opt_out_after(consent("sharing_with_agent", True), opted) is opted


def test_a_consent_names_its_purpose_channel_and_a_real_boolean():
    for bad, field in (({"purpose": "spam", "granted": True, "channel": "sms"}, "purpose"),
                       ({"purpose": "marketing", "granted": True, "channel": "fax"}, "channel"),
                       ({"purpose": "marketing", "granted": "yes", "channel": "sms"}, "granted"),
                       ({"purpose": "marketing", "channel": "sms"}, "granted")):
        with pytest.raises(ValidationError) as exc:
            NewConsent.model_validate(bad)
        assert exc.value.errors()[0]["loc"][0] == field


def test_only_managers_and_up_export_or_merge():
    for role in (Role.manager, Role.director, Role.admin):
        assert privacy.may_export(actor(role)) and privacy.may_merge(actor(role))
    for role in (Role.consultant, Role.service_agent, Role.channel_agent, Role.homeowner,
                 Role.integration):
        assert not privacy.may_export(actor(role)) and not privacy.may_merge(actor(role))


def test_an_export_row_is_masked_unless_revealed():
    row = customer()
    masked = privacy.export_row(row, False, VAULT.open_phone, {"focus": ["学区"], "": ["急"]})
    assert masked["phone"] == "138****8000" and masked["phone_masked"] is True
    assert masked["tags"] == {"focus": ["学区"]} and masked["free_tags"] == ["急"]
    shown = privacy.export_row(row, True, VAULT.open_phone)
    assert shown["phone"] == "13800138000" and shown["phone_masked"] is False


def test_an_export_needs_a_reason_and_a_sane_limit():
    with pytest.raises(ValidationError):
        ExportQuery.model_validate({})
    with pytest.raises(ValidationError) as exc:
        ExportQuery.model_validate({"reason": "季度盘点", "limit": 10_001})
    assert exc.value.errors()[0]["loc"] == ("limit",)


def test_reasons_kept_in_the_audit_carry_no_phone_number():
    for reason in ("客户 13800138000 要求", "+86 138 0013 8000", "致电138-0013-8000"):
        with pytest.raises(ValidationFailed) as exc:
            privacy.check_reason(reason)
        assert exc.value.field == "reason"
    privacy.check_reason("客户来电要求删除 (工单 2026112300001)")   # 13 digits: not a phone


def test_merge_refusals_name_the_field():
    a, b = customer(), customer()
    assert privacy.merge_refusal(a, b) is None
    assert privacy.merge_refusal(a, a).field == "merged_id"
    gone = customer(erased_at=datetime.now(UTC))
    assert isinstance(privacy.merge_refusal(a, gone), Conflict)
    assert privacy.merge_refusal(gone, b).field == "survivor_id"
    elsewhere = customer(merged_into=uuid.uuid4())
    assert privacy.merge_refusal(a, elsewhere).field == "merged_id"
    assert privacy.merge_refusal(elsewhere, b).field == "survivor_id"


def test_merging_the_same_pair_again_is_not_refused_but_recognised():
    a = customer()
    b = customer(merged_into=a.id)
    assert privacy.already_merged(a, b) and privacy.merge_refusal(a, b) is None
    assert privacy.merge_refusal(b, a).field == "survivor_id"   # the other way round


def test_the_survivors_profile_wins_and_its_gaps_are_filled():
    portrait, filled = privacy.filled_portrait(
        {"budget_min": 3_000_000, "gender": "unknown", "layouts": []},
        {"budget_min": 1_000_000, "gender": "female", "layouts": ["三室"], "purpose": None})
    assert portrait == {"budget_min": 3_000_000, "gender": "female", "layouts": ["三室"]}
    assert filled == ["gender", "layouts"]


def test_one_persons_records_are_every_record_linked_by_merges():
    a, b, c, d, other = (uuid.uuid4() for _ in range(5))
    links = {a: None, b: a, c: b, d: None, other: None}   # c → b → a; d alone
    assert privacy.person_closure(links, {c}) == {a, b, c}
    assert privacy.person_closure(links, {a}) == {a, b, c}
    assert privacy.person_closure(links, {d}) == {d}
    assert privacy.person_closure(links, {uuid.uuid4()}) == set()


def test_a_subject_request_is_export_or_erase_with_a_reason():
    assert SubjectRequest.model_validate({"kind": "erase", "reason": "本人来函",
                                          "phone": "13800138000"}).phone == "13800138000"
    for bad, field in (({"kind": "delete", "reason": "本人来函"}, "kind"),
                       ({"kind": "export", "reason": "x"}, "reason"),
                       ({"kind": "export", "reason": "本人", "customer_id": "1"}, "customer_id")):
        with pytest.raises(ValidationError) as exc:
            SubjectRequest.model_validate(bad)
        assert exc.value.errors()[0]["loc"][0] == field
    with pytest.raises(ValidationError):
        PersonQuery.model_validate({"phone_indexes": [""]})


def test_only_an_admin_or_the_privacy_scope_handles_subject_requests():
    assert kp.may_handle_subject_requests(actor(Role.admin))
    assert kp.may_handle_subject_requests(actor(Role.manager, scopes=(kp.PRIVACY_SCOPE,)))
    assert not kp.may_handle_subject_requests(actor(Role.director, scopes=("pii:reveal",)))

    class Keys:
        def actor(self, token):
            return token

    with pytest.raises(Forbidden):
        kp.subject_request_handler(Keys(), actor(Role.manager))


def test_redaction_replaces_every_name_longest_first():
    assert kp.redact("回访张三丰和张三", ["张三", "张三丰"]) == "回访已删除和已删除"
    assert kp.redact(None, ["张三"]) is None
    assert kp.redact("首次联系客户", []) == "首次联系客户"
    assert kp.redact_json({"title": "联系张三", "n": 1, "tags": ["张三"]}, ["张三"]) == \
        {"title": "联系已删除", "n": 1, "tags": ["已删除"]}
    assert kp.erased_marker("abc") == "erased:abc" and len(kp.erased_marker(uuid.uuid4())) <= 64
    assert kp.is_erased_marker(kp.erased_marker(uuid.uuid4()))
    assert not kp.is_erased_marker(VAULT.blind_index("+8613800138000"))


def test_the_scanner_sees_phones_in_every_usual_writing_and_not_in_ids():
    pattern = re.compile(privacy_scan.MOBILE)
    for written in ("13800138000", "+8613800138000", "8613800138000", "138 0013 8000",
                    "+86 138-0013-8000", '{"phone": "13800138000"}', "电话:13800138000。"):
        assert pattern.search(written), written
    for harmless in (str(uuid.UUID("00000000-0000-4000-8000-138001380001")),
                     "138****8000", "12800138000", "1380013800", "v1.k1.Ab13800138000xYz",
                     VAULT.blind_index("+8613800138000"), "2026-11-23T13:80:01"):
        assert not pattern.search(harmless), harmless
    assert "138 0013 8000" in privacy_scan.phone_forms("+8613800138000")
    assert kp.mentions_mobile("请拨 138 0013 8000") and not kp.mentions_mobile("138****8000")
