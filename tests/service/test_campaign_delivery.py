"""Customers' campaigns delivered by the tasks service, on the real broker and database: the
customers service starts a campaign (campaign.started), the tasks service reads its
recipients over RPC, sends SMS to a real local HTTP server standing in for the provider or
hands the customers to their consultants, and the customers service shows the counts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from sqlalchemy import text

from contracts.actor import Role
from contracts.errors import Unauthenticated
from contracts.leads import LEAD_CREATED, LeadCreated
from kit import clock
from kit.crypto import Vault
from services.customers.service import CustomersService
from services.tasks.service import TasksService
from tests import privacy_scan
from tests.service.conftest import (
    add_users,
    call,
    count,
    envelope,
    publish,
    purge_event_queues,
    unique_phone,
    wait_for,
)
from tests.standins import StandIn, answer_always, fail_first

WAIT = 60   # an event and a few timer ticks on a busy 2-core machine
LINK_BASE = "https://crm.example.com"
# Retries within the test's patience (0.2 s, 0.4 s; 3 tries), pages of two recipients so
# every campaign takes several calls of campaign_recipients.
FAST = {"notify_retry_seconds": 0.2, "notify_retry_max_seconds": 1.0,
        "notify_max_attempts": 3, "notify_http_timeout_seconds": 2.0,
        "notify_link_base": LINK_BASE, "campaign_sms_hours": "00:00-00:00"}


class SmallPages(TasksService):
    campaign_page_size = 2


class Campaigns:
    """The customers and the tasks service of one test, and its company's people."""

    def __init__(self, infra, world, engine, start, container_factory):
        self.infra, self.world, self.engine = infra, world, engine
        self._start, self._factory = start, container_factory
        self.vault = Vault.from_settings(infra)
        self.phones: dict[str, str] = {}
        self.customers = None
        self.tasks = None

    def start_customers(self, keep_queued: bool = False):
        self.customers = self._start(CustomersService, keep_queued=keep_queued)
        add_users(self.customers, *self.world.users.values())
        return self.customers

    def start_tasks(self, keep_queued: bool = False, **overrides):
        settings = self.infra.model_copy(update=FAST | overrides)
        if not keep_queued:
            purge_event_queues(settings, TasksService.name)
        self.tasks = self._factory(SmallPages, settings.nameko_config("tasks")
                                   | {"KEYUAN_SETTINGS": settings})
        self.tasks.start()
        add_users(self.tasks, *self.world.users.values())
        return self.tasks

    def token(self, who: str) -> str:
        return self.world.token(who)

    def customer(self, owner: str | None, name: str | None = None) -> str:
        """A new customer of `owner` (None: in the pool), with a phone of its own."""
        phone = "+86" + unique_phone()
        world = self.world
        payload = LeadCreated(
            lead_id=uuid.uuid4(), customer_id=uuid.uuid4(), company_id=world.company,
            project_id=world.project, channel="walk_in", sub_source=None,
            name=name or f"客户{uuid.uuid4().hex[:6]}", phone=self.vault.seal_phone(phone),
            duplicate=False, owner_id=world.users[owner]["id"] if owner else None,
            created_at=clock.now())
        with entrypoint_hook(self.customers, "on_lead_created") as handle:
            handle(envelope("leads", LEAD_CREATED, payload.model_dump(mode="json")))
        self.phones[str(payload.customer_id)] = phone
        return str(payload.customer_id)

    def sms_channel(self, provider: StandIn) -> None:
        call(self.tasks, "configure_notifications", self.token("root"), {"channels": {"sms": {
            "url": f"{provider.url}/v1/sms", "api_key": "APIKEY", "sender": "客源",
            "templates": {"campaign": "SMS_MKT"}}}})

    def start_campaign(self, channel: str, message: str, who: str = "mgr") -> dict:
        segment = call(self.customers, "save_segment", self.token(who),
                       {"name": "全部客户", "filter": {}})["id"]
        return call(self.customers, "start_campaign", self.token(who),
                    {"segment_id": segment, "channel": channel, "message": message})

    def shown(self, campaign_id: str, who: str = "mgr") -> dict:
        """The campaign as GET /api/campaigns shows it."""
        items = call(self.customers, "campaigns", self.token(who))["items"]
        return next(item for item in items if item["id"] == campaign_id)

    def delivered(self, campaign_id: str, who: str = "mgr") -> dict:
        return wait_for(lambda: self.shown(campaign_id, who)["status"] == "delivered"
                        and self.shown(campaign_id, who), timeout=WAIT, every=0.2)

    def forwards(self, who: str) -> list[dict]:
        items = call(self.tasks, "notifications", self.token(who), {"page_size": 100})["items"]
        return [item for item in items if item["kind"] == "campaign_forward"]


@pytest.fixture
def desk(infra, world, engine, start, container_factory):
    world.user("a")
    world.user("b")
    world.user("mgr", Role.manager)
    world.user("root", Role.admin)
    world.system()  # the notifier, a directory user like any other
    yield Campaigns(infra, world, engine, start, container_factory)
    clock.reset()
    with engine.begin() as conn:   # nothing of this test left for later tests' services
        conn.execute(text("UPDATE tasks.campaigns SET resolved = true WHERE company_id = :c"),
                     {"c": world.company})
        conn.execute(text("UPDATE tasks.campaign_deliveries SET status = 'failed', last_error"
                          " = 'test over' WHERE company_id = :c AND status = 'pending'"),
                     {"c": world.company})


def metric(name: str, channel: str = "sms") -> float:
    return REGISTRY.get_sample_value(name, {"channel": channel}) or 0.0


def opt_out_token(link: str) -> str:
    assert link.startswith(f"{LINK_BASE}/api/marketing/opt-out/")
    return link.rsplit("/", 1)[1]


# --- SMS --------------------------------------------------------------------------------

def test_an_sms_campaign_reaches_every_customer_but_the_opted_out_once(desk, engine):
    desk.start_customers()
    desk.start_tasks()
    reached = [desk.customer("a"), desk.customer("a"), desk.customer("b")]
    opted_out = desk.customer("b")
    call(desk.customers, "set_marketing_opt_out", desk.token("b"), opted_out,
         {"opt_out": True, "reason": "电话里要求不再推送"})
    sent_before = metric("keyuan_campaign_messages_sent_total")
    with StandIn(answer_always(200, {"status": "queued"})) as provider:
        desk.sms_channel(provider)
        started = desk.start_campaign("sms", "周末开放日，诚邀品鉴")
        assert started["recipients"] == 3 and started["skipped_opted_out"] == 1
        shown = desk.delivered(started["id"])
    assert (shown["delivered"], shown["failed"], shown["not_sent"]) == (3, 0, 0)
    assert shown["finished_at"]
    by_phone = {message.body["phone"]: message for message in provider.received}
    assert len(provider.received) == 3
    assert set(by_phone) == {desk.phones[c] for c in reached}     # decrypted, E.164
    for message in provider.received:
        assert message.headers["Authorization"] == "Bearer APIKEY"
        assert message.body["template"] == "SMS_MKT" and message.body["sender"] == "客源"
        assert message.body["params"]["message"] == "周末开放日，诚邀品鉴"
    assert metric("keyuan_campaign_messages_sent_total") >= sent_before + 3
    # The link in each SMS opts out exactly the customer it was sent to.
    first = reached[0]
    link = by_phone[desk.phones[first]].body["params"]["opt_out_link"]
    assert call(desk.customers, "opt_out", opt_out_token(link)) == {"opted_out": True,
                                                                   "changed": True}
    assert call(desk.customers, "marketing_status", desk.token("a"), first)[
        "marketing_opt_out"] is True
    assert call(desk.customers, "marketing_status", desk.token("a"), reached[1])[
        "marketing_opt_out"] is False
    with engine.connect() as conn:   # the tasks tables hold ciphertext only
        assert privacy_scan.plaintext(conn, list(desk.phones.values())) == {}


def test_marketing_sms_wait_for_the_sending_hours(desk):
    """Started in the evening, after the company's sending hours: nothing goes out until
    they open (here: an hour from now, Asia/Shanghai)."""
    local = clock.to_local(clock.now())
    opens = (local + timedelta(hours=1)).strftime("%H:%M")
    closes = (local + timedelta(hours=3)).strftime("%H:%M")
    desk.start_customers()
    desk.start_tasks(campaign_sms_hours=f"{opens}-{closes}")
    customer = desk.customer("a")
    with StandIn(answer_always(200, {"status": "queued"})) as provider:
        desk.sms_channel(provider)
        started = desk.start_campaign("sms", "明日开盘，敬请关注")
        wait_for(lambda: count(desk.engine, "SELECT count(*) FROM tasks.campaign_deliveries "
                               "WHERE campaign_id = :c", c=started["id"]) == 1,
                 timeout=WAIT, every=0.2)
        eventlet.sleep(3)   # three ticks of the sending timer
        assert provider.received == []
        assert desk.shown(started["id"])["status"] in ("started", "delivering")
        clock.advance(timedelta(hours=1, minutes=1))      # the window opens
        shown = desk.delivered(started["id"])
    assert shown["delivered"] == 1
    assert [m.body["phone"] for m in provider.received] == [desk.phones[customer]]


def test_a_provider_failing_once_gets_the_sms_on_the_retry(desk):
    desk.start_customers()
    desk.start_tasks()
    customer = desk.customer("a")
    failures_before = metric("keyuan_campaign_message_failures_total")
    with StandIn(fail_first(1)) as provider:
        desk.sms_channel(provider)
        started = desk.start_campaign("sms", "新品加推")
        shown = desk.delivered(started["id"])
    assert (shown["delivered"], shown["failed"], shown["not_sent"]) == (1, 0, 0)
    assert [m.body["phone"] for m in provider.received] == [desk.phones[customer]] * 2
    assert metric("keyuan_campaign_message_failures_total") >= failures_before + 1


def test_a_provider_that_always_fails_leaves_the_sms_failed_after_the_last_try(desk):
    desk.start_customers()
    desk.start_tasks()
    desk.customer("a")
    failed_before = metric("keyuan_campaign_messages_failed_total")
    with StandIn(answer_always(503, "maintenance")) as provider:
        desk.sms_channel(provider)
        started = desk.start_campaign("sms", "新品加推")
        shown = desk.delivered(started["id"])
    assert (shown["delivered"], shown["failed"], shown["not_sent"]) == (0, 1, 0)
    assert len(provider.received) == FAST["notify_max_attempts"]
    assert metric("keyuan_campaign_messages_failed_total") >= failed_before + 1


def test_an_opt_out_stops_the_messages_still_waiting_for_a_retry(desk, engine):
    desk.start_customers()
    desk.start_tasks(notify_retry_seconds=3600, notify_retry_max_seconds=3600)
    customer = desk.customer("a")
    with StandIn(answer_always(503, "maintenance")) as provider:
        desk.sms_channel(provider)
        started = desk.start_campaign("sms", "新品加推")
        wait_for(lambda: len(provider.received) == 1, timeout=WAIT, every=0.2)
        # The first try failed; the retry is an hour away when the customer calls in.
        call(desk.customers, "set_marketing_opt_out", desk.token("a"), customer,
             {"opt_out": True, "reason": "电话里要求不再推送"})
        shown = desk.delivered(started["id"])
        assert len(provider.received) == 1
    assert (shown["delivered"], shown["failed"], shown["not_sent"]) == (0, 0, 1)
    assert count(engine, "SELECT count(*) FROM tasks.campaign_deliveries WHERE customer_id "
                 "= :c AND status = 'not_sent' AND last_error LIKE '客户已退订%'",
                 c=customer) == 1


def test_without_an_sms_channel_the_customers_are_not_sent_with_the_reason(desk, engine):
    desk.start_customers()
    desk.start_tasks()
    desk.customer("a")
    desk.customer("b")
    started = desk.start_campaign("sms", "周末开放日")
    shown = desk.delivered(started["id"])
    assert (shown["delivered"], shown["failed"], shown["not_sent"]) == (0, 0, 2)
    with engine.connect() as conn:
        reasons = conn.execute(text("SELECT DISTINCT last_error FROM tasks.campaign_deliveries"
                                    " WHERE campaign_id = :c"), {"c": started["id"]}).scalars()
        assert list(reasons) == ["the company has no sms channel configured"]


# --- wechat and in_app: handed to the consultants -------------------------------------------

def test_a_wechat_campaign_asks_each_owner_once_and_pool_customers_are_not_sent(desk):
    desk.world.user("left", active=False)            # a consultant who has left
    desk.start_customers()
    desk.start_tasks()
    desk.customer("a", "赵一")
    desk.customer("a", "钱二")
    desk.customer("b", "孙三")
    desk.customer(None, "李四")                       # in the pool: no consultant to ask
    desk.customer("left", "周五")                     # nobody left to send it
    started = desk.start_campaign("wechat", "业主答谢会，周六下午三点", who="root")
    assert started["recipients"] == 5
    shown = desk.delivered(started["id"], who="root")
    assert (shown["delivered"], shown["failed"], shown["not_sent"]) == (3, 0, 2)
    # Nothing was handed to the one who left (who could not read it anyway: refused).
    assert count(desk.engine, "SELECT count(*) FROM tasks.notifications WHERE recipient_id "
                 "= :u", u=desk.world.users["left"]["id"]) == 0
    with pytest.raises(Unauthenticated, match="deactivated"):
        desk.forwards("left")
    [to_a] = desk.forwards("a")
    assert to_a["title"] == "营销活动：请向您的 2 位客户发送"
    assert "业主答谢会，周六下午三点" in to_a["body"]
    assert "赵一" in to_a["body"] and "钱二" in to_a["body"] and "孙三" not in to_a["body"]
    assert to_a["link"] == f"/campaigns/{started['id']}"
    [to_b] = desk.forwards("b")
    assert to_b["title"] == "营销活动：请向您的 1 位客户发送" and "孙三" in to_b["body"]
    assert desk.forwards("mgr") == [] and desk.forwards("root") == []


# --- at-least-once delivery, exactly-once effect --------------------------------------------

def test_a_repeated_campaign_started_sends_nothing_twice(desk, engine, infra):
    desk.start_customers()
    desk.start_tasks()
    first, second = desk.customer("a"), desk.customer("b")
    with StandIn() as provider:
        desk.sms_channel(provider)
        started = desk.start_campaign("sms", "第一场")
        original = wait_for(lambda: _sent_event(engine, started["id"]), timeout=WAIT)
        replayed = {**original, "id": str(uuid.uuid4())}     # republished as a new event
        publish(infra, "customers", original)                 # the same event again
        publish(infra, "customers", replayed)
        wait_for(lambda: count(engine, "SELECT count(*) FROM tasks.inbox WHERE handler = "
                               "'on_campaign_started' AND event_id IN (:a, :b)",
                               a=original["id"], b=replayed["id"]) == 2, timeout=WAIT)
        desk.delivered(started["id"])
        # A later campaign delivered means the timers have run since the repeats.
        later = desk.start_campaign("sms", "第二场")
        desk.delivered(later["id"])
    sent = sorted((m.body["phone"], m.body["params"]["message"]) for m in provider.received)
    assert sent == sorted((desk.phones[c], message) for c in (first, second)
                          for message in ("第一场", "第二场"))


def _sent_event(engine, campaign_id: str) -> dict | None:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT envelope FROM customers.outbox WHERE event_type = 'campaign.started' AND "
            "envelope->'payload'->>'campaign_id' = :c AND sent_at IS NOT NULL"),
            {"c": campaign_id}).scalar()


def test_recipients_are_read_again_when_the_customers_service_was_away(desk, engine):
    desk.start_customers()
    customers = [desk.customer("a"), desk.customer("b"), desk.customer("b")]
    started = desk.start_campaign("sms", "限时特惠")
    wait_for(lambda: _sent_event(engine, started["id"]), timeout=WAIT)
    desk.customers.stop()
    with StandIn() as provider:
        desk.start_tasks(keep_queued=True, rpc_timeout_seconds=1.0)
        desk.sms_channel(provider)
        wait_for(lambda: count(engine, "SELECT count(*) FROM tasks.campaigns WHERE campaign_id"
                               " = :c AND expand_attempts > 0", c=started["id"]), timeout=WAIT)
        desk.start_customers(keep_queued=True)
        desk.delivered(started["id"])
    assert sorted(m.body["phone"] for m in provider.received) == \
        sorted(desk.phones[c] for c in customers)


# --- erasure ------------------------------------------------------------------------------

def test_an_erased_customer_leaves_no_delivery_phone_or_name_in_the_tasks_service(desk,
                                                                                  engine):
    desk.start_customers()
    desk.start_tasks()
    gone_name = f"欧阳{uuid.uuid4().hex[:4]}"
    gone, kept = desk.customer("a", gone_name), desk.customer("a", "诸葛留")
    with StandIn() as provider:
        desk.sms_channel(provider)
        by_sms = desk.start_campaign("sms", "答谢短信")
        desk.delivered(by_sms["id"])
    by_wechat = desk.start_campaign("wechat", "答谢会")
    desk.delivered(by_wechat["id"])
    [notice] = desk.forwards("a")
    assert gone_name in notice["body"]
    phone = desk.phones[gone]
    with engine.connect() as conn:   # the scans see the person before (they are not vacuous)
        assert privacy_scan.sealed(conn, desk.vault, [phone])
        assert privacy_scan.matches(conn, gone_name)

    root = desk.world.token("root")
    erased = call(desk.customers, "subject_request", root, {
        "kind": "erase", "customer_id": gone, "reason": "本人来函要求删除 (PIPL 第47条)"})
    wait_for(lambda: count(engine, "SELECT count(*) FROM tasks.inbox i JOIN customers.outbox o"
                           " ON o.id = i.event_id WHERE i.handler = 'on_person_erased' AND "
                           "o.envelope->'payload'->>'request_id' = :r",
                           r=erased["request_id"]), timeout=WAIT)

    with engine.connect() as conn:
        assert privacy_scan.sealed(conn, desk.vault, [phone]) == {}
        assert privacy_scan.matches(conn, gone_name) == {}
    [notice] = desk.forwards("a")
    assert "已删除" in notice["body"] and "诸葛留" in notice["body"]
    forgotten = call(desk.tasks, "person_data", root, {"customer_ids": [gone]})
    assert forgotten["records"]["campaign_deliveries"] == []
    exported = call(desk.tasks, "person_data", root, {"customer_ids": [kept]})
    parts = exported["records"]["campaign_deliveries"]
    assert sorted((p["campaign_id"], p["channel"], p["status"]) for p in parts) == sorted(
        [(by_sms["id"], "sms", "delivered"), (by_wechat["id"], "wechat", "delivered")])
    assert all(set(p) == {"campaign_id", "customer_id", "channel", "status", "at"}
               for p in parts)


def test_an_opt_out_that_overtakes_the_page_read_before_it_is_honoured(engine, world):
    """campaign_recipients answered before the customer opted out, but their opt-out reached
    the notifier first: the page's row for them is recorded as not sent. An older choice
    arriving late changes nothing."""
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from contracts.customers import CampaignStarted, MarketingChanged
    from services.tasks.notify import campaign_rules, campaigns

    quiet, talkative = uuid.uuid4(), uuid.uuid4()
    campaign = uuid.uuid4()
    now = clock.now()
    with Session(engine) as session:
        campaigns.record_started(session, CampaignStarted(
            campaign_id=campaign, company_id=world.company, segment_id=uuid.uuid4(),
            channel="sms", message="开盘通知", recipients=2, skipped_opted_out=0,
            started_by=uuid.uuid4(), started_at=now), now)
        campaigns.remember_choice(session, MarketingChanged(
            customer_id=quiet, company_id=world.company, opted_out=True, at=now), now)
        campaigns.remember_choice(session, MarketingChanged(   # an older opt-in, late
            customer_id=quiet, company_id=world.company, opted_out=False,
            at=now - timedelta(minutes=5)), now)
        session.commit()
        [claim] = [c for c in campaigns.claim_due(session, now, 100, timedelta(minutes=1))
                   if c.campaign_id == campaign]
        campaigns.record_page(session, claim, campaign_rules.RecipientPage(items=[
            campaign_rules.Recipient(customer_id=quiet, phone_enc="v1:x"),
            campaign_rules.Recipient(customer_id=talkative, phone_enc="v1:y")]), now)
    with engine.connect() as conn:
        rows = dict(conn.execute(text(
            "SELECT customer_id, status || ':' || coalesce(last_error, '') FROM "
            "tasks.campaign_deliveries WHERE campaign_id = :c"), {"c": campaign}).all())
        conn.execute(text("UPDATE tasks.campaign_deliveries SET status = 'failed' "
                          "WHERE campaign_id = :c AND status = 'pending'"), {"c": campaign})
        conn.commit()
    assert rows == {quiet: f"not_sent:{campaign_rules.OPTED_OUT}", talkative: "pending:"}
