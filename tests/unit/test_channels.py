"""Channel webhooks without I/O: signatures, replays, and payload mappings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts.errors import Unauthenticated, ValidationFailed
from contracts.leads import NewLead
from services.leads import channels
from services.leads.channels import Mapping, apply, sign, verify

SECRET = b"s3cret-of-the-douyin-channel"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
BODY = '{"data": {"clue": {"clue_id": "1", "name": "王先生", "telephone": "13800138000"}}}'.encode()
PROJECT = uuid.uuid4()


def signature(secret: bytes = SECRET, timestamp: str = TS, body: bytes = BODY) -> str:
    return "sha256=" + sign(secret, timestamp, body)


def refusal(**overrides) -> Unauthenticated:
    args = {"secret": SECRET, "timestamp_header": TS, "signature_header": signature(),
            "body": BODY, "now": NOW} | overrides
    with pytest.raises(Unauthenticated) as caught:
        verify(**args)
    return caught.value


# ------------------------------------------------------------------------ signatures

def test_sign_is_hex_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac
    assert sign(SECRET, TS, BODY) == hmac.new(SECRET, f"{TS}.".encode() + BODY,
                                              hashlib.sha256).hexdigest()


def test_a_good_signature_is_accepted_within_five_minutes_either_way():
    verify(SECRET, TS, signature(), BODY, NOW)
    verify(SECRET, TS, signature().upper().replace("SHA256=", "sha256="), BODY, NOW)
    verify(SECRET, TS, signature(), BODY, NOW.timestamp() + 300)
    verify(SECRET, TS, signature(), BODY, NOW.timestamp() - 300)


def test_a_wrong_secret_is_refused():
    exc = refusal(signature_header=signature(secret=b"someone else's"))
    assert exc.field == channels.SIGNATURE_HEADER
    assert channels.refusal_reason(exc) == "bad_signature"


def test_a_tampered_body_is_refused():
    exc = refusal(body=BODY.replace(b"13800138000", b"13900139000"))
    assert exc.field == channels.SIGNATURE_HEADER


def test_a_tampered_timestamp_is_a_bad_signature_not_a_replay():
    exc = refusal(timestamp_header=str(int(TS) + 1))
    assert exc.field == channels.SIGNATURE_HEADER
    assert channels.refusal_reason(exc) == "bad_signature"


@pytest.mark.parametrize("header", [None, "", "abc", sign(SECRET, TS, BODY), "sha256=",
                                    "sha256=zz" + "0" * 62, "sha1=" + "0" * 40])
def test_a_missing_or_malformed_signature_header_is_refused(header):
    exc = refusal(signature_header=header)
    assert exc.field == channels.SIGNATURE_HEADER
    assert channels.refusal_reason(exc) == "bad_signature"


@pytest.mark.parametrize("header", [None, "", "yesterday", "-1", "1.5", "1" * 13])
def test_a_missing_or_malformed_timestamp_is_refused(header):
    exc = refusal(timestamp_header=header)
    assert exc.field == channels.TIMESTAMP_HEADER
    assert channels.refusal_reason(exc) == "bad_signature"


@pytest.mark.parametrize("age", [301, 3600, -301, -3600])
def test_a_signed_delivery_older_or_newer_than_five_minutes_is_a_replay(age):
    old = str(int(TS) - age)
    exc = refusal(timestamp_header=old, signature_header=signature(timestamp=old))
    assert exc.field == channels.TIMESTAMP_HEADER
    assert channels.refusal_reason(exc) == "replay"
    assert exc.to_dict()["code"] == "unauthenticated"


# ------------------------------------------------------------------------ mappings

def mapping(**extra) -> Mapping:
    return Mapping.model_validate({
        "fields": {"name": "data.clue.name", "phone": "data.clue.telephone",
                   "purpose": "data.clue.intention.purpose", "layout": "data.rooms.1",
                   "budget_min": "data.clue.intention.budget_min"},
        "constants": {"channel": "douyin", "name": "抖音用户"},
        "values": {"purpose": {"自住": "self_use", "改善": "upgrade", "*": None}},
        "external_id": "data.clue.clue_id", **extra})


def payload(**clue) -> dict:
    return {"data": {"clue": {"clue_id": 7301, "name": "王先生", "telephone": 13800138000,
                              "intention": {"purpose": "自住", "budget_min": "3000000"},
                              **clue},
                     "rooms": ["两室", "三室"]}}


def test_nested_paths_list_indexes_value_maps_and_constants():
    lead, external_id = apply(mapping(), payload(), PROJECT)
    assert external_id == "7301"
    assert lead == {"name": "王先生", "phone": "13800138000", "purpose": "self_use",
                    "layout": "三室", "budget_min": "3000000", "channel": "douyin",
                    "project_id": str(PROJECT)}
    new = NewLead.model_validate(lead)
    assert new.budget_min == 3_000_000 and new.purpose == "self_use"


def test_a_constant_is_the_fallback_when_the_path_is_empty():
    lead, _ = apply(mapping(), payload(name=""), PROJECT)
    assert lead["name"] == "抖音用户"


def test_values_not_listed_use_the_star_entry_and_null_leaves_the_field_out():
    lead, _ = apply(mapping(), payload(intention={"purpose": "看看"}), PROJECT)
    assert "purpose" not in lead


def test_values_not_listed_without_a_star_pass_through_for_newlead_to_judge():
    strict = mapping(values={"purpose": {"自住": "self_use"}})
    lead, _ = apply(strict, payload(intention={"purpose": "其他"}), PROJECT)
    with pytest.raises(ValidationError) as caught:
        NewLead.model_validate(lead)
    assert caught.value.errors()[0]["loc"] == ("purpose",)


@pytest.mark.parametrize(("clue", "field"), [
    ({"telephone": None}, "phone"),
    ({"telephone": "  "}, "phone"),
    ({"telephone": {"number": "13800138000"}}, "phone"),
    ({"clue_id": None}, "external_id"),
    ({"clue_id": "x" * 101}, "external_id"),
])
def test_a_missing_required_path_names_our_field(clue, field):
    with pytest.raises(ValidationFailed) as caught:
        apply(mapping(), payload(**clue), PROJECT)
    assert caught.value.field == field


def test_a_payload_without_the_phone_branch_at_all_names_phone():
    with pytest.raises(ValidationFailed) as caught:
        apply(mapping(), {"data": {"clue": {"clue_id": "1"}}}, PROJECT)
    assert caught.value.field == "phone"
    assert "data.clue.telephone" in caught.value.message


def test_the_project_comes_from_the_platform_code_or_the_default():
    other = uuid.uuid4()
    by_code = mapping(project="data.project_code", projects={"BJ01": str(other)})
    lead, _ = apply(by_code, {**payload(), "data": {**payload()["data"],
                                                    "project_code": "BJ01"}}, PROJECT)
    assert lead["project_id"] == str(other)
    lead, _ = apply(by_code, payload(), PROJECT)
    assert lead["project_id"] == str(PROJECT)
    with pytest.raises(ValidationFailed) as unknown:
        apply(by_code, {"data": {**payload()["data"], "project_code": "XX"}}, PROJECT)
    assert unknown.value.field == "project_id"
    with pytest.raises(ValidationFailed) as none:
        apply(mapping(), payload(), None)
    assert none.value.field == "project_id"


@pytest.mark.parametrize(("change", "key"), [
    ({"fields": {"phon": "a.b", "name": "n"}}, "fields"),
    ({"fields": {"phone": "a..b", "name": "n"}}, "fields.phone"),
    ({"fields": {"phone": "p", "name": "n", "project_id": "x"}}, "fields"),
    ({"fields": {"phone": "p", "name": "n", "agent_id": "x"}}, "fields"),
    ({"constants": {"channel": "website", "referrer_customer_id": str(uuid.uuid4())}},
     "constants"),
    ({"constants": {"channel": "carrier_pigeon"}}, "constants"),
    ({"values": {"purpose": {"自住": "living"}}}, "values"),
    ({"external_id": ""}, "external_id"),
])
def test_a_bad_mapping_is_refused_naming_the_key(change, key):
    spec = {"fields": {"phone": "p", "name": "n"}, "constants": {"channel": "website"},
            "external_id": "id"} | change
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate(spec)
    assert ".".join(str(p) for p in caught.value.errors()[0]["loc"]) == key


def test_a_mapping_must_give_name_phone_and_channel():
    with pytest.raises(ValidationError, match="no phone, channel"):
        Mapping.model_validate({"fields": {"name": "n"}, "external_id": "id"})


# ------------------------------------------------------------------------ default mappings

SAMPLES = {
    "douyin": {
        "event": "clue.create", "timestamp": 1795401600,
        "data": {"clue": {"clue_id": "7301234567890123456", "name": "王先生",
                          "telephone": "13800138000", "city_name": "杭州",
                          "remark": "想周末看样板间",
                          "intention": {"purpose": "改善", "room_type": "三室",
                                        "budget_min": 3000000, "budget_max": 5000000}},
                 "ad": {"campaign_name": "滨江壹号-周末看房团", "promotion_id": "74001"}}},
    "beike": {
        "lead_no": "BK20261123000123", "city": "杭州", "building_code": "BK-HZ-1001",
        "customer": {"customer_name": "李女士", "mobile": "139 1234 5678",
                     "demand": {"district": "滨江区", "room_type": "三室",
                                "price_low": 3000000, "price_high": 4500000,
                                "area_low": 89, "area_high": 120, "purpose": "置换"},
                     "remark": "已看过两次"},
        "agent": {"agent_name": "张经纪", "shop_name": "贝壳滨江店"}},
    "mini_program": {
        "submission_id": "wxf_20261123_0001", "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        "scene": 1011,
        "user": {"nick_name": "小陈",
                 "phone_info": {"purePhoneNumber": "13712345678", "countryCode": "86"}},
        "form": {"real_name": "", "layout": "两室", "purpose": "刚需",
                 "budget": {"min": 2000000, "max": 3000000}, "message": None},
        "campaign": "售楼处海报"},
    "website": {
        "id": 10234, "form": "预约看房", "submitted_at": "2026-11-23T10:00:00+08:00",
        "contacts": [{"name": "赵女士", "phone": "+86 136 1234 5678"}],
        "answers": {"city": "上海", "district": "浦东新区", "purpose": "investment"},
        "message": "周末方便看房", "utm": {"source": "baidu", "campaign": "brand-2026"}},
}

EXPECTED = {
    "douyin": ("7301234567890123456", {"name": "王先生", "phone": "13800138000",
                                       "purpose": "upgrade", "budget_max": 5_000_000,
                                       "sub_source": "滨江壹号-周末看房团"}),
    "beike": ("BK20261123000123", {"name": "李女士", "district": "滨江区", "area_min": 89,
                                   "purpose": "upgrade", "sub_source": "贝壳滨江店"}),
    "mini_program": ("wxf_20261123_0001", {"name": "小程序访客", "phone": "13712345678",
                                           "purpose": "self_use", "note": None}),
    "website": ("10234", {"name": "赵女士", "phone": "+86 136 1234 5678",
                          "purpose": "investment", "sub_source": "brand-2026"}),
}


def presets() -> dict[str, channels.Preset]:
    return channels.load_presets(channels.PRESETS_PATH.read_text(encoding="utf-8"))


def test_there_is_a_default_mapping_for_each_platform():
    assert set(presets()) == {"douyin", "beike", "mini_program", "website"}


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_default_mapping_turns_its_platforms_push_into_a_newlead(code):
    lead, external_id = apply(presets()[code].mapping, SAMPLES[code], PROJECT)
    new = NewLead.model_validate(lead)
    want_id, want = EXPECTED[code]
    assert external_id == want_id
    assert new.channel == code and new.project_id == PROJECT
    assert {k: getattr(new, k) for k in want} == want


def test_a_bad_preset_file_names_the_channel_and_the_key():
    bad = "douyin:\n  name: 抖音\n  mapping:\n    fields: {name: a, phone: b}\n" \
          "    constants: {channel: douyin}\n    external_id: id\n" \
          "beike:\n  name: 贝壳\n  mapping:\n    fields: {name: a, mobile: b}\n" \
          "    constants: {channel: beike}\n    external_id: id\n"
    with pytest.raises(channels.PresetError, match=r"channel 'beike', key 'mapping.fields'"):
        channels.load_presets(bad)
    with pytest.raises(channels.PresetError, match="'tiktok' is not a channel"):
        channels.load_presets("tiktok: {}\n")
    with pytest.raises(channels.PresetError, match="not valid YAML"):
        channels.load_presets("douyin: [\n")
