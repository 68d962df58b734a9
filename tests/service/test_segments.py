"""Segments, campaigns, the marketing opt-out and referrals through the customers service, on
the real broker and database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, ValidationFailed
from contracts.leads import LEAD_CREATED, LeadCreated
from kit import clock
from kit.crypto import Vault
from services.customers import optout
from services.customers.service import CustomersService
from tests.service.conftest import add_users, call, count, envelope, unique_phone, wait_for

SCHOOL = {"tags": ["focus:学区"]}


class Desk:
    """A customers service with two teams: a, b and mgr on one; c and mgr2 on the other."""

    def __init__(self, container, settings, world):
        self.container, self.settings, self.world = container, settings, world

    def token(self, who: str) -> str:
        return self.world.token(who)

    def call(self, method: str, who: str, *args):
        return call(self.container, method, self.token(who), *args)

    def customer(self, owner: str, project=None, tags=None, **portrait) -> str:
        world = self.world
        payload = LeadCreated(
            lead_id=uuid.uuid4(), customer_id=uuid.uuid4(), company_id=world.company,
            project_id=project or world.project, channel="walk_in", sub_source=None,
            name=f"客户{owner}", phone=Vault.from_settings(self.settings).seal_phone(
                "+86" + unique_phone()), duplicate=False, owner_id=world.users[owner]["id"],
            created_at=clock.now())
        with entrypoint_hook(self.container, "on_lead_created") as handle:
            handle(envelope("leads", LEAD_CREATED, payload.model_dump(mode="json")))
        customer = str(payload.customer_id)
        if tags or portrait:
            version = self.call("get", owner, customer)["version"]
            self.call("update", owner, customer, {"version": version, **portrait,
                                                  **({"tags": tags} if tags else {})})
        return customer

    def move(self, owner: str, customer: str, *stages: str) -> None:
        for stage in stages:
            move = {"stage": stage}
            if stage == "signed":
                move |= {"deal_amount": 3_000_000, "unit": "1-1-101"}
            if stage in ("lost", "invalid"):
                move |= {"reason": "已在别处购房"}
            self.call("change_stage", owner, customer, move)

    def segment(self, who: str, spec: dict, name: str = "客群") -> str:
        return self.call("save_segment", who, {"name": name, "filter": spec})["id"]

    def count(self, who: str, segment) -> int:
        return self.call("segment_count", who, segment)["count"]


@pytest.fixture
def desk(start, world, infra):
    container = start(CustomersService)
    add_users(container, world.user("a"), world.user("b"), world.user("mgr", Role.manager),
              world.user("c", team=world.other_team),
              world.user("mgr2", Role.manager, team=world.other_team),
              world.user("root", Role.admin), world.user("notifier", Role.integration),
              world.user("svc", Role.service_agent))
    yield Desk(container, infra, world)
    clock.reset()


def test_a_consultants_segment_count_never_includes_a_colleagues_customers(desk):
    focus = {"focus": ["学区"]}
    mine = [desk.customer("a", tags=focus), desk.customer("a", tags=focus)]
    desk.customer("a", tags={"focus": ["地铁"]})
    desk.customer("b", tags=focus)
    desk.customer("c", tags=focus)
    segment = desk.segment("mgr", SCHOOL, "学区客户")
    assert [desk.count(who, segment) for who in ("a", "b", "mgr", "c", "mgr2", "root")] == \
        [2, 1, 3, 1, 1, 4]
    assert desk.count("a", SCHOOL) == 2          # an unsaved filter, the same scope
    listed = desk.call("segment_customers", "a", segment, 1, 20)
    assert {item["id"] for item in listed["items"]} == set(mine)
    assert not listed["has_more"] and all(not i["phone_masked"] for i in listed["items"])
    page = desk.call("segment_customers", "root", segment, 2, 3)
    assert len(page["items"]) == 1 and not page["has_more"]
    assert [s["name"] for s in desk.call("list_segments", "b")["items"]] == ["学区客户"]
    with pytest.raises(Forbidden):
        desk.count("svc", segment)


def test_erased_and_merged_away_customers_are_in_no_segment(desk, engine):
    kept, erased, merged = (desk.customer("a") for _ in range(3))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE customers.customers SET erased_at = now() WHERE id = %s",
                             (erased,))
        conn.exec_driver_sql("UPDATE customers.customers SET merged_into = %s WHERE id = %s",
                             (kept, merged))
    everyone = desk.segment("a", {})
    assert desk.count("a", everyone) == 1
    assert [i["id"] for i in desk.call("segment_customers", "a", everyone, 1, 20)["items"]] \
        == [kept]


def test_owners_of_phase_1_focused_on_schools_who_signed_over_2_years_ago(desk, world):
    phase1 = str(world.project)
    long_ago = desk.customer("a", tags={"focus": ["学区"]})
    desk.move("a", long_ago, "visited", "signed")
    elsewhere = desk.customer("a", project=world.other_project, tags={"focus": ["学区"]})
    desk.move("a", elsewhere, "visited", "signed")
    clock.advance(timedelta(days=731))
    recent = desk.customer("b", tags={"focus": ["学区"]})
    desk.move("b", recent, "visited", "signed")
    not_signed = desk.customer("b", tags={"focus": ["学区"]})
    desk.move("b", not_signed, "visited")
    segment = desk.segment("mgr", {"project_ids": [phase1], "tags": ["focus:学区"],
                                   "signed": {"more_than_days_ago": 730}}, "一期老业主")
    assert desk.count("mgr", segment) == 1
    assert [i["id"] for i in desk.call("segment_customers", "mgr", segment, 1, 20)["items"]] \
        == [long_ago]
    within = {"signed": {"within_days": 30}, "stages": ["signed"]}
    assert desk.count("mgr", within) == 1
    assert desk.count("mgr", {"last_followup": {"within_days": 30, "or_never": True}}) == 4


def test_portrait_filters(desk):
    upgrader = desk.customer("a", purpose="upgrade", districts=["滨江", "西湖"],
                             budget_min=3_000_000, budget_max=4_000_000)
    desk.customer("a", purpose="upgrade", districts=["萧山"], budget_min=1_000_000,
                  budget_max=2_000_000)
    open_ended = desk.customer("a", purpose="school_district", budget_min=4_500_000)
    assert desk.count("a", {"purposes": ["upgrade"], "districts": ["西湖"]}) == 1
    found = {"budget": {"min": 3_500_000, "max": 5_000_000}}
    assert desk.count("a", found) == 2
    segment = desk.segment("a", found)
    ids = {i["id"] for i in desk.call("segment_customers", "a", segment, 1, 20)["items"]}
    assert ids == {upgrader, open_ended}


@pytest.mark.parametrize(("method", "argument", "field"), [
    ("save_segment", {"name": "x", "filter": {"tags": ["focus:海景房"]}}, "filter.tags.0"),
    ("save_segment", {"name": "x", "filter": {"tags": ["decor:精装"]}}, "filter.tags.0"),
    ("save_segment", {"name": "", "filter": {}}, "name"),
    ("save_segment", {"name": "x"}, "filter"),
    ("save_segment", {"name": "x", "filter": {"signed": {}}}, "filter.signed"),
    ("segment_count", {"stages": ["sold"]}, "stages.0"),
    ("segment_count", {"budget": {"min": 9, "max": 1}}, "budget"),
    ("segment_count", {"created": {"within_days": 0}}, "created.within_days"),
    ("segment_count", 42, "segment"),
    ("segment_count", "not-an-id", "segment_id"),
])
def test_bad_filters_name_the_field(desk, method, argument, field):
    with pytest.raises(ValidationFailed) as refused:
        desk.call(method, "a", argument)
    assert refused.value.field == field


def test_unknown_segments_and_bad_pages(desk, world):
    with pytest.raises(NotFound):
        desk.count("a", str(uuid.uuid4()))
    segment = desk.segment("a", {})
    with pytest.raises(ValidationFailed) as bad_page:
        desk.call("segment_customers", "a", segment, 0, 20)
    assert bad_page.value.field == "page"
    with pytest.raises(ValidationFailed) as bad_size:
        desk.call("segment_customers", "a", segment, 1, 1000)
    assert bad_size.value.field == "page_size"


def campaign_events(engine, campaign_id: str) -> list[dict]:
    """This campaign's campaign.started events (other tests of the session start theirs)."""
    with engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql(
            "SELECT envelope->'payload' FROM customers.outbox "
            "WHERE event_type = 'campaign.started' "
            "AND envelope->'payload'->>'campaign_id' = %(id)s", {"id": campaign_id})]


def recipients(desk, campaign_id: str, who: str = "notifier") -> dict[str, dict]:
    found, after = {}, None
    while True:
        page = desk.call("campaign_recipients", who, campaign_id, after, 2)
        found.update({item["customer_id"]: item for item in page["items"]})
        after = page["next_after"]
        if after is None:
            return found


def test_opted_out_customers_are_never_in_a_campaign(desk, engine):
    team = [desk.customer("a"), desk.customer("a"), desk.customer("b"), desk.customer("b")]
    other_team = desk.customer("c")
    refused = desk.call("set_marketing_opt_out", "a", team[0],
                        {"opt_out": True, "reason": "电话里要求不再推送"})
    assert refused["marketing_opt_out"] and refused["opted_out_at"]
    [entry] = desk.call("history", "mgr", team[0])["items"]
    assert entry["actor_id"] == desk.world.users["a"]["id"]
    assert entry["changes"]["marketing_opt_out"] == [False, True]
    # The withdrawal is in the consent log too, with how the customer asked.
    [withdrawn] = desk.call("consents", "a", team[0])["items"]
    assert (withdrawn["purpose"], withdrawn["granted"], withdrawn["channel"]) == \
        ("marketing", False, "phone")
    segment = desk.segment("mgr", {})
    with pytest.raises(Forbidden):
        desk.call("start_campaign", "a", {"segment_id": segment, "channel": "sms",
                                          "message": "周末开放日"})
    with pytest.raises(ValidationFailed) as bad_channel:
        desk.call("start_campaign", "mgr", {"segment_id": segment, "channel": "fax",
                                            "message": "周末开放日"})
    assert bad_channel.value.field == "channel"
    started = desk.call("start_campaign", "mgr", {"segment_id": segment, "channel": "sms",
                                                  "message": "周末开放日，诚邀品鉴"})
    assert (started["recipients"], started["skipped_opted_out"]) == (3, 1)
    [event] = campaign_events(engine, started["id"])
    assert event["campaign_id"] == started["id"] and event["recipients"] == 3
    assert event["skipped_opted_out"] == 1 and event["segment_id"] == segment
    listed = recipients(desk, started["id"])
    assert set(listed) == set(team[1:])                   # mgr's team only, opted-out left out
    assert other_team not in listed
    # Opting out after the start is honoured at delivery; new customers are not added.
    desk.call("set_marketing_opt_out", "b", team[2], {"opt_out": True})
    desk.customer("a")
    assert set(recipients(desk, started["id"])) == {team[1], team[3]}
    with pytest.raises(NotFound):                          # another manager's campaign
        desk.call("campaign_recipients", "mgr2", started["id"], None, 10)
    assert [c["id"] for c in desk.call("campaigns", "mgr")["items"]] == [started["id"]]


def test_a_campaign_to_nobody_is_refused(desk):
    desk.call("set_marketing_opt_out", "a", desk.customer("a"), {"opt_out": True})
    segment = desk.segment("mgr", {})
    with pytest.raises(ValidationFailed) as nobody:
        desk.call("start_campaign", "mgr", {"segment_id": segment, "channel": "wechat",
                                            "message": "新品加推"})
    assert nobody.value.field == "segment_id"


def test_the_opt_out_link_works_once_and_a_forged_link_is_refused(desk, engine):
    customer = desk.customer("a")
    segment = desk.segment("mgr", {})
    started = desk.call("start_campaign", "mgr", {"segment_id": segment, "channel": "in_app",
                                                  "message": "业主答谢会"})
    link = recipients(desk, started["id"])[customer]
    assert link["opt_out_path"] == optout.path(link["opt_out_token"])
    with entrypoint_hook(desk.container, "opt_out") as click:
        assert click(link["opt_out_token"]) == {"opted_out": True, "changed": True}
        first = desk.call("marketing_status", "a", customer)
        assert first["marketing_opt_out"]
        assert click(link["opt_out_token"]) == {"opted_out": True, "changed": False}
        assert desk.call("marketing_status", "a", customer)["opted_out_at"] == \
            first["opted_out_at"]
        body, mac = link["opt_out_token"].split(".")
        someone_else = optout.sign(desk.settings.secret_key, uuid.uuid4()).split(".")[0]
        # Change the MAC's first character (its last one may carry only padding bits).
        tampered = ("B" if mac[0] == "A" else "A") + mac[1:]
        forged = [f"{someone_else}.{mac}", f"{body}.{tampered}",
                  optout.sign("a-secret-someone-guessed-0123456789abc", uuid.UUID(customer)),
                  "junk"]
        for token in forged:
            with pytest.raises(NotFound) as refused:
                click(token)
            assert refused.value.field == "token"
    assert count(engine, "SELECT count(*) FROM customers.history WHERE customer_id = :c AND "
                 "changes->'opt_out_via'->>1 = 'link'", c=customer) == 1
    [withdrawn] = desk.call("consents", "a", customer)["items"]
    assert (withdrawn["purpose"], withdrawn["granted"], withdrawn["channel"]) == \
        ("marketing", False, "app")   # the link came with an in-app campaign
    assert recipients(desk, started["id"]) == {}


def reward_of(desk, referrer: str, referred: str, who: str = "a"):
    items = desk.call("referrals", who, referrer)["items"]
    return next(i["referral_reward"] for i in items if i["customer_id"] == referred)


def test_the_referral_reward_follows_the_stages_through_the_event(desk):
    referrer, friend = desk.customer("a"), desk.customer("b")
    with pytest.raises(NotFound):          # b's customer is not a's to change
        desk.call("set_referrer", "a", friend, {"referrer_id": referrer})
    made = desk.call("set_referrer", "b", friend, {"referrer_id": referrer})
    assert made["referrer_id"] == referrer and made["referral_reward"] == "none"
    assert reward_of(desk, referrer, friend) == "none"
    desk.move("b", friend, "visited")
    wait_for(lambda: reward_of(desk, referrer, friend) == "pending", timeout=30)
    desk.move("b", friend, "signed")
    wait_for(lambda: reward_of(desk, referrer, friend) == "earned", timeout=30)
    desk.move("b", friend, "lost")                      # 退房: the reward is void
    wait_for(lambda: reward_of(desk, referrer, friend) == "void", timeout=30)
    [item] = desk.call("referrals", "a", referrer)["items"]
    assert item["name_masked"] and item["name"] != "客户b"    # b's customer, shown to a
    assert desk.call("referrals", "mgr", referrer)["rewards"]["void"] == 1
    changes = [h["changes"] for h in desk.call("history", "b", friend)["items"]]
    assert {"referral_reward": ["earned", "void"]} in changes


def test_referrers_must_be_other_customers_of_the_company_without_cycles(desk):
    first, second, third = desk.customer("a"), desk.customer("a"), desk.customer("a")
    desk.call("set_referrer", "a", second, {"referrer_id": first})
    desk.call("set_referrer", "a", third, {"referrer_id": second})
    for target, referrer in ((first, third), (first, second), (first, first),
                             (first, str(uuid.uuid4())), (first, "someone")):
        with pytest.raises(ValidationFailed) as refused:
            desk.call("set_referrer", "a", target, {"referrer_id": referrer})
        assert refused.value.field == "referrer_id"
    signed = desk.customer("a")
    desk.move("a", signed, "visited", "signed")
    assert desk.call("set_referrer", "a", signed, {"referrer_id": first})[
        "referral_reward"] == "earned"
    cleared = desk.call("set_referrer", "a", third, {"referrer_id": None})
    assert cleared["referrer_id"] is None and cleared["referral_reward"] is None
    assert [i["customer_id"] for i in desk.call("referrals", "a", first)["items"]] == \
        [second, signed]
