"""Privacy (PIPL) over real RabbitMQ and PostgreSQL: consents, the audited export, merges
that reach leads and tasks, data-subject export and erasure across every service, and no
phone number at rest in plain text."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit import clock
from kit.crypto import Vault
from services.analytics.service import AnalyticsService
from services.customers.service import CustomersService
from services.directory.service import DirectoryService
from services.service_desk.service import ServiceDeskService
from services.tasks.service import TasksService
from tests import privacy_scan
from tests.service.conftest import (
    add_customer,
    add_to_directory,
    add_users,
    call,
    count,
    unique_phone,
    wait_for,
)

WAIT = 60   # seconds an event may take to cross services on a busy 2-core machine


def people(world) -> list[dict]:
    return [world.user("a"), world.user("b"), world.user("c", team=world.other_team),
            world.user("mgr", Role.manager),
            world.user("mgr2", Role.manager, team=world.other_team),
            world.user("root", Role.admin, scopes=("pii:reveal",)),
            world.user("svc", Role.service_agent),
            world.user("agent", Role.channel_agent)]


@pytest.fixture
def desk(start, world):
    container = start(CustomersService)
    add_users(container, *people(world))
    yield container
    clock.reset()


@pytest.fixture
def suite(start, world, leads, engine):
    """Every service, as data-subject requests need them all."""
    people(world)
    add_to_directory(engine, world, "root")  # the one who asks every service, the directory too
    containers = {"leads": leads, "customers": start(CustomersService),
                  "tasks": start(TasksService), "analytics": start(AnalyticsService),
                  "directory": start(DirectoryService), "service_desk": start(ServiceDeskService)}
    for name in ("leads", "customers", "tasks", "analytics", "service_desk"):
        add_users(containers[name], *world.users.values())
    yield containers
    clock.reset()


def e164() -> str:
    return "+86" + unique_phone()


def root(world) -> str:
    return world.token("root")  # an admin holding pii:reveal


def lead(leads, world, who: str, phone: str, name: str = "欧阳测试", **extra) -> dict:
    return call(leads, "create", world.token(who), {
        "name": name, "phone": phone, "channel": "douyin", "project_id": str(world.project),
        **extra})


def profile_exists(customers, world, who, customer_id):
    def check():
        try:
            return call(customers, "get", world.token(who), customer_id)
        except NotFound:
            return None
    return wait_for(check, timeout=WAIT, every=0.2)


def handled(engine, schema: str, handler: str, event_id) -> bool:
    return count(engine, f"SELECT count(*) FROM {schema}.inbox WHERE handler = :h "
                 "AND event_id = :e", h=handler, e=event_id) == 1


def event_id(engine, event_type: str, key: str, value: str):
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT id FROM customers.outbox WHERE event_type = :t "
            "AND envelope->'payload'->>:k = :v"), {"t": event_type, "k": key, "v": value}
        ).scalar_one()


# ------------------------------------------------------------------ consents

def test_consents_are_kept_newest_first_and_withdrawing_marketing_opts_out(desk, world,
                                                                           infra, engine):
    customer = add_customer(desk, infra, world, "a", e164())
    first = call(desk, "record_consent", world.token("a"), customer,
                   {"purpose": "marketing", "granted": True, "channel": "wechat"})
    assert first["marketing_opt_out"] is False
    clock.advance(timedelta(seconds=1))
    call(desk, "record_consent", world.token("a"), customer, {
        "purpose": "data_processing", "granted": True, "channel": "paper",
        "evidence": "纸质授权书 第12号"})
    clock.advance(timedelta(seconds=1))
    withdrawn = call(desk, "record_consent", world.token("mgr"), customer,
                     {"purpose": "marketing", "granted": False, "channel": "sms"})
    assert withdrawn["marketing_opt_out"] is True
    listed = call(desk, "consents", world.token("a"), customer)
    assert [(c["purpose"], c["granted"]) for c in listed["items"]] == [
        ("marketing", False), ("data_processing", True), ("marketing", True)]
    assert listed["marketing_opt_out"] is True
    assert listed["items"][0]["recorded_by"] == world.users["mgr"]["id"]
    assert count(engine, "SELECT count(*) FROM customers.customers WHERE id = :c "
                 "AND marketing_opt_out AND opted_out_at IS NOT NULL", c=customer) == 1
    history = call(desk, "history", world.token("a"), customer)["items"]
    assert history[-1]["changes"] == {"marketing_opt_out": [False, True]}
    clock.advance(timedelta(seconds=1))
    again = call(desk, "record_consent", world.token("a"), customer,
                 {"purpose": "marketing", "granted": True, "channel": "app"})
    assert again["marketing_opt_out"] is False


def test_a_consent_is_checked_and_recorded_only_within_scope(desk, world, infra):
    customer = add_customer(desk, infra, world, "a", e164())
    good = {"purpose": "sharing_with_agent", "granted": True, "channel": "phone"}
    for bad, field in (({**good, "purpose": "resale"}, "purpose"),
                       ({**good, "channel": "fax"}, "channel"),
                       ({**good, "granted": "yes"}, "granted"),
                       ({**good, "evidence": "x" * 501}, "evidence")):
        with pytest.raises(ValidationFailed) as refused:
            call(desk, "record_consent", world.token("a"), customer, bad)
        assert refused.value.field == field
    for who in ("b", "c", "mgr2"):
        with pytest.raises(NotFound):
            call(desk, "record_consent", world.token(who), customer, good)
        with pytest.raises(NotFound):
            call(desk, "consents", world.token(who), customer)
    with pytest.raises(Forbidden):
        call(desk, "record_consent", world.token("svc"), customer, good)
    assert call(desk, "consents", world.token("a"), customer)["items"] == []


# ------------------------------------------------------------------ export

def test_an_export_needs_a_manager_masks_phones_and_audits_every_row(desk, world, infra,
                                                                     engine):
    phones = {who: e164() for who in ("a", "b", "c")}
    ids = {who: add_customer(desk, infra, world, who, phone) for who, phone in phones.items()}
    with pytest.raises(Forbidden):
        call(desk, "export_customers", world.token("a"), {"reason": "自查"})
    exported = call(desk, "export_customers", world.token("mgr"), {"reason": "季度客户盘点"})
    assert exported["count"] == len(exported["items"]) >= 2
    mine = {row["id"]: row for row in exported["items"]}
    assert ids["c"] not in mine                                  # another team's
    assert mine[ids["a"]]["phone"] == phones["a"][3:6] + "****" + phones["a"][-4:]
    assert mine[ids["a"]]["phone_masked"] is True and exported["phones_revealed"] is False
    assert count(engine, "SELECT count(*) FROM customers.pii_audit WHERE action = 'export' "
                 "AND actor_id = :a AND reason LIKE :r", a=world.users["mgr"]["id"],
                 r=f"%{exported['export_id']}%") == exported["count"]

    revealed = call(desk, "export_customers", root(world),
                    {"reason": "监管检查", "owner_id": world.users["c"]["id"]})
    assert [(r["id"], r["phone"]) for r in revealed["items"]] == [(ids["c"], phones["c"][3:])]
    for bad, field in (({"reason": "盘点", "limit": 0}, "limit"), ({}, "reason"),
                       ({"reason": "导出 " + phones["a"][3:]}, "reason"),
                       ({"reason": "盘点", "stage": "won"}, "stage")):
        with pytest.raises(ValidationFailed) as refused:
            call(desk, "export_customers", world.token("mgr"), bad)
        assert refused.value.field == field


# ------------------------------------------------------------------ merge

def test_a_merge_moves_the_record_to_its_survivor_and_explains_itself(desk, world, infra,
                                                                      engine):
    survivor = add_customer(desk, infra, world, "a", e164())
    merged = add_customer(desk, infra, world, "a", e164())
    a = world.token("a")
    call(desk, "log_followup", a, merged, {"type": "call", "content": "约周末看房"})
    call(desk, "change_stage", a, merged, {"stage": "contacted"})
    version = call(desk, "get", a, merged)["version"]
    call(desk, "update", a, merged, {"version": version, "tags": {"focus": ["学区"]},
                                     "budget_min": 2_000_000, "free_tags": ["周末"]})
    version = call(desk, "get", a, survivor)["version"]
    call(desk, "update", a, survivor, {"version": version, "tags": {"focus": ["地铁"]}})
    call(desk, "record_consent", a, merged,
         {"purpose": "marketing", "granted": False, "channel": "sms"})

    request = {"survivor_id": survivor, "merged_id": merged, "reason": "同一客户两个号码"}
    with pytest.raises(Forbidden):
        call(desk, "merge", a, request)
    with pytest.raises(NotFound) as outside:
        call(desk, "merge", world.token("mgr2"), request)
    assert outside.value.field in ("survivor_id", "merged_id")
    with pytest.raises(ValidationFailed) as itself:
        call(desk, "merge", world.token("mgr"), {**request, "merged_id": survivor})
    assert itself.value.field == "merged_id"

    done = call(desk, "merge", world.token("mgr"), request)
    assert done["created"] is True and done["survivor_id"] == survivor
    moved = done["summary"]["moved"]
    assert (moved["followups"], moved["stage_changes"], moved["consents"]) == (1, 1, 1)
    assert moved["tags_added"] == 2 and "budget_min" in done["summary"]["portrait_filled"]

    listed = {c["id"] for c in call(desk, "list", a, {"page_size": 200})["items"]}
    assert survivor in listed and merged not in listed
    after = call(desk, "get", a, survivor)
    assert after["tags"] == {"focus": ["地铁", "学区"]} and after["free_tags"] == ["周末"]
    assert after["portrait"]["budget_min"] == 2_000_000
    assert [f["content"] for f in call(desk, "followups", a, survivor)["items"]] == ["约周末看房"]
    assert call(desk, "stage_history", a, survivor)["items"][0]["to"] == "contacted"
    assert call(desk, "consents", a, survivor)["marketing_opt_out"] is True
    assert any("merged" in h["changes"] for h in call(desk, "history", a, survivor)["items"])
    explained = call(desk, "merges", a, merged)
    assert explained["merged_into"] == survivor and explained["items"][0]["id"] == done["id"]
    assert call(desk, "merges", a, survivor)["items"][0]["reason"] == "同一客户两个号码"
    with pytest.raises(Conflict):
        call(desk, "record_consent", a, merged, {"purpose": "marketing", "granted": True,
                                                 "channel": "app"})
    with pytest.raises(Conflict) as gone:   # nothing more is logged on a merged-away record
        call(desk, "log_followup", a, merged, {"type": "call", "content": "再联系"})
    assert gone.value.field == "customer_id"

    again = call(desk, "merge", world.token("mgr"), request)   # a repeated request
    assert again["created"] is False and again["id"] == done["id"]
    with pytest.raises(Conflict):
        call(desk, "merge", world.token("mgr"), {**request, "survivor_id": merged,
                                                 "merged_id": survivor})
    assert count(engine, "SELECT count(*) FROM customers.merges WHERE merged_id = :m",
                 m=merged) == 1
    assert count(engine, "SELECT count(*) FROM customers.outbox WHERE event_type = "
                 "'customer.merged' AND envelope->'payload'->>'merged_id' = :m", m=merged) == 1


def test_a_merge_reaches_leads_and_tasks(suite, world, engine):
    leads, customers, tasks = suite["leads"], suite["customers"], suite["tasks"]
    first, second = unique_phone(), unique_phone()
    survivor = lead(leads, world, "a", first)["customer_id"]
    merged = lead(leads, world, "b", second)["customer_id"]
    for who, customer in (("a", survivor), ("b", merged)):
        profile_exists(customers, world, who, customer)
    wait_for(lambda: call(tasks, "list", world.token("b"), {"customer_id": merged})["items"],
             timeout=WAIT, every=0.2)

    done = call(customers, "merge", world.token("mgr"), {
        "survivor_id": survivor, "merged_id": merged, "reason": "同一人两个号码"})
    merge_event = event_id(engine, "customer.merged", "merge_id", done["id"])
    wait_for(lambda: handled(engine, "leads", "on_customer_merged", merge_event)
             and handled(engine, "tasks", "on_customer_merged", merge_event),
             timeout=WAIT, every=0.2)

    assert count(engine, "SELECT count(*) FROM leads.leads WHERE customer_id = :m",
                 m=merged) == 0
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE customer_id = :m "
                 "AND merged_into = :s", m=merged, s=survivor) == 1
    # The merged phone now finds the survivor.
    again = lead(leads, world, "c", "+86 " + second)
    assert again["status"] == "duplicate" and again["customer_id"] == survivor
    open_tasks = call(tasks, "list", world.token("a"), {"customer_id": survivor,
                                                        "status": "open"})["items"]
    assert {t["customer_id"] for t in open_tasks} == {survivor} and len(open_tasks) >= 2
    assert call(tasks, "list", world.token("b"), {"customer_id": merged,
                                                  "status": "open"})["items"] == []
    with pytest.raises(NotFound):
        call(leads, "claim", world.token("c"), merged)


# ------------------------------------------------------------------ data-subject requests

def test_a_subject_export_gathers_every_service_with_phones_in_clear(suite, world, engine):
    leads, customers, tasks = suite["leads"], suite["customers"], suite["tasks"]
    phone = unique_phone()
    call(leads, "register", world.token("agent"), {
        "name": "欧阳导出", "phone": phone, "project_id": str(world.project), "agency": "链家"})
    customer = lead(leads, world, "a", phone, name="欧阳导出", note="想要学区房")["customer_id"]
    profile_exists(customers, world, "a", customer)
    call(customers, "log_followup", world.token("a"), customer,
         {"type": "visit", "content": "到访，喜欢三室"})
    call(customers, "record_consent", world.token("a"), customer,
         {"purpose": "data_processing", "granted": True, "channel": "paper"})
    wait_for(lambda: call(tasks, "list", world.token("a"), {"customer_id": customer})["items"],
             timeout=WAIT, every=0.2)

    for who in ("a", "mgr"):
        with pytest.raises(Forbidden):
            call(customers, "subject_request", world.token(who),
                 {"kind": "export", "phone": phone, "reason": "本人申请查阅"})
    for bad, field in (({"kind": "export", "reason": "本人申请查阅"}, "phone"),
                       ({"kind": "export", "reason": "本人申请查阅", "phone": "123"}, "phone"),
                       ({"kind": "copy", "reason": "本人申请查阅", "phone": phone}, "kind"),
                       ({"kind": "export", "reason": "x", "phone": phone}, "reason")):
        with pytest.raises(ValidationFailed) as refused:
            call(customers, "subject_request", root(world), bad)
        assert refused.value.field == field
    with pytest.raises(NotFound):
        call(customers, "subject_request", root(world), {
            "kind": "export", "reason": "本人申请查阅", "customer_id": str(uuid.uuid4())})

    doc = call(customers, "subject_request", world.token("root"),
               {"kind": "export", "phone": f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}",
                "reason": "本人申请查阅 (PIPL 第45条)"})
    services = doc["services"]
    assert set(services) == {"customers", "leads", "tasks", "analytics", "directory",
                             "service_desk"}
    assert doc["subject"] == {"phone": phone, "customer_ids": [customer]}
    [profile] = services["customers"]["records"]["profiles"]
    assert profile["phone"] == phone and profile["name"] == "欧阳导出"
    assert services["customers"]["records"]["followups"][0]["content"] == "到访，喜欢三室"
    assert services["customers"]["records"]["consents"][0]["purpose"] == "data_processing"
    leads_part = services["leads"]["records"]
    assert [x["phone"] for x in leads_part["leads"]] == [phone]
    assert leads_part["leads"][0]["note"] == "想要学区房"
    assert [r["phone"] for r in leads_part["registrations"]] == [phone]
    assert leads_part["rulings"] and leads_part["customer_keys"][0]["name"] == "欧阳导出"
    assert services["tasks"]["records"]["tasks"][0]["customer_id"] == customer
    for nothing in ("analytics", "directory", "service_desk"):
        assert services[nothing]["holds_personal_data"] is False
        assert services[nothing]["note"]
    assert count(engine, "SELECT count(*) FROM customers.pii_audit WHERE action = "
                 "'dsar_export' AND customer_id = :c AND reason LIKE :r", c=customer,
                 r=f"%{doc['request_id']}%") == 1


def test_an_erasure_leaves_no_trace_of_the_phone_in_any_service(suite, world, infra,
                                                                 engine):
    leads, customers, tasks = suite["leads"], suite["customers"], suite["tasks"]
    vault = Vault.from_settings(infra)
    name, first, second = "欧阳删除", unique_phone(), unique_phone()
    call(leads, "register", world.token("agent"), {
        "name": name, "phone": first, "project_id": str(world.project), "note": f"{name}周末到"})
    customer = lead(leads, world, "a", first, name=name, note="老客户介绍")["customer_id"]
    lead(leads, world, "b", f"+86-{first}", name=f"{name}先生")            # a duplicate
    other = lead(leads, world, "a", second, name=name)["customer_id"]      # the second phone
    for record in (customer, other):
        profile_exists(customers, world, "a", record)
    a = world.token("a")
    call(customers, "log_followup", a, customer, {"type": "call", "content": f"{name}说周末来"})
    version = call(customers, "get", a, customer)["version"]
    call(customers, "update", a, customer, {"version": version, "wechat": "wx_ouyang",
                                            "name": f"{name}女士", "free_tags": ["高意向"]})
    call(customers, "record_consent", a, customer, {
        "purpose": "marketing", "granted": True, "channel": "wechat", "evidence": "微信截图"})
    call(customers, "merge", world.token("mgr"), {"survivor_id": customer, "merged_id": other,
                                                  "reason": "同一人两个号码"})
    task = wait_for(lambda: call(tasks, "list", a, {"customer_id": customer})["items"],
                    timeout=WAIT, every=0.2)[0]
    call(tasks, "complete", a, task["id"], {"note": f"已联系{name}女士"})
    call(leads, "release", a, customer, {"reason": f"{name}暂不考虑"})
    call(leads, "claim", world.token("b"), customer)
    profile_exists(customers, world, "b", customer)

    def totals():   # what erasure must not change: the lead and customer counters
        return count(engine, "SELECT coalesce(sum(count), 0) FROM analytics.daily_counts "
                     "WHERE company_id = :c AND metric IN ('leads', 'new_customers')",
                     c=world.company)

    wait_for(lambda: totals() == 3 + 2, timeout=WAIT, every=0.2)
    counted = totals()
    leads_before = count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                         c=world.company)

    numbers = ["+86" + first, "+86" + second]
    with engine.connect() as conn:   # the scans see the person before (they are not vacuous)
        assert len(privacy_scan.sealed(conn, vault, numbers)) >= 4   # customers, leads, ...
        assert len(privacy_scan.blind_indexes(conn, vault, numbers)) >= 4
        assert privacy_scan.matches(conn, name)

    erased = call(customers, "subject_request", root(world), {
        "kind": "erase", "customer_id": customer, "reason": "本人来函要求删除 (PIPL 第47条)"})
    assert sorted(erased["erased_now"]) == sorted([customer, other])
    erasure = event_id(engine, "person.erased", "request_id", erased["request_id"])
    wait_for(lambda: all(handled(engine, schema, "on_person_erased", erasure)
                         for schema in ("leads", "tasks", "customers")),
             timeout=WAIT, every=0.2)

    with engine.connect() as conn:
        assert privacy_scan.plaintext(conn, numbers) == {}
        assert privacy_scan.sealed(conn, vault, numbers) == {}
        assert privacy_scan.blind_indexes(conn, vault, numbers) == {}
        assert privacy_scan.matches(conn, name) == {}
        assert privacy_scan.matches(conn, "wx_ouyang") == {}
    # The statistics keep their counts and their rows; the person is gone from them.
    assert totals() == counted
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                 c=world.company) == leads_before
    shown = call(customers, "get", world.token("b"), customer)
    assert shown["name"] == "已删除" and "0" not in shown["phone"] and shown["portrait"] == {}
    assert count(engine, "SELECT count(*) FROM customers.pii_audit WHERE action = "
                 "'dsar_erase' AND customer_id IN (:c, :o)", c=customer, o=other) == 2
    with pytest.raises(Conflict):
        call(customers, "reveal_phone", root(world), customer, "核实")
    # The person coming back is a new customer: nothing recognises them any more.
    back = lead(leads, world, "c", first, name="新客户")
    assert back["status"] == "created" and back["customer_id"] != customer

    # Asking again changes nothing and still answers.
    repeated = call(customers, "subject_request", root(world), {
        "kind": "erase", "customer_id": customer, "reason": "本人再次来函"})
    assert repeated["erased_now"] == [] and sorted(repeated["already_erased"]) == \
        sorted([customer, other])
    by_phone = call(customers, "subject_request", root(world), {
        "kind": "export", "phone": second, "reason": "核实已删除"})
    assert by_phone["subject"]["customer_ids"] == []
    assert by_phone["services"]["leads"]["holds_personal_data"] is False


def test_someone_only_registered_is_found_and_erased_by_phone(suite, world, infra, engine):
    leads, customers = suite["leads"], suite["customers"]
    phone = unique_phone()
    call(leads, "register", world.token("agent"), {
        "name": "只报备", "phone": phone, "project_id": str(world.project), "note": "周六来"})
    ask = {"kind": "export", "phone": phone, "reason": "本人申请查阅"}
    doc = call(customers, "subject_request", root(world), ask)
    assert doc["subject"]["customer_ids"] == []
    assert [r["phone"] for r in doc["services"]["leads"]["records"]["registrations"]] == [phone]
    assert doc["services"]["customers"]["holds_personal_data"] is False

    erased = call(customers, "subject_request", root(world), {**ask, "kind": "erase"})
    assert erased["notified"] == ["leads", "tasks"] and erased["erased_now"] == []
    erasure = event_id(engine, "person.erased", "request_id", erased["request_id"])
    wait_for(lambda: handled(engine, "leads", "on_person_erased", erasure), timeout=WAIT,
             every=0.2)
    vault, numbers = Vault.from_settings(infra), ["+86" + phone]
    with engine.connect() as conn:
        assert privacy_scan.sealed(conn, vault, numbers) == {}
        assert privacy_scan.blind_indexes(conn, vault, numbers) == {}
        assert privacy_scan.matches(conn, "只报备") == {}
    assert count(engine, "SELECT count(*) FROM customers.pii_audit WHERE action = "
                 "'dsar_erase' AND customer_id = :nobody AND reason LIKE :r",
                 nobody=str(uuid.UUID(int=0)), r=f"%{erased['request_id']}%") == 1


# ------------------------------------------------------------------ no plaintext at rest

def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [["客户姓名", "手机号码", "备注"], *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_no_phone_is_stored_in_plain_text_by_any_flow(suite, world, engine):
    leads, customers = suite["leads"], suite["customers"]
    numbers = [unique_phone() for _ in range(7)]
    n = iter(numbers)
    written = [next(n), f"+86 {next(n)}", f"86{next(n)}"]
    for phone in written:
        lead(leads, world, "a", phone, note="intake")
    registered = next(n)
    call(leads, "register", world.token("agent"), {
        "name": "报备客户", "phone": registered, "project_id": str(world.project)})
    walk_in = lead(leads, world, "b", registered, name="报备客户")["customer_id"]
    call(leads, "release", world.token("b"), walk_in, {"reason": "客户暂无购房计划"})
    call(leads, "claim", world.token("a"), walk_in)
    imported = [next(n), next(n), next(n)]
    started = call(leads, "start_import", world.token("mgr"), {
        "project_id": str(world.project), "filename": "名单.xlsx",
        "content_b64": base64.b64encode(workbook([
            ["导入一", imported[0], "备注"], ["导入二", f"+86 {imported[1]}", ""],
            ["导入三", float(imported[2]), ""], ["重复", imported[0], "同第2行"]])).decode()})
    wait_for(lambda: call(leads, "import_status", world.token("mgr"), started["job_id"])
             ["status"] == "done", timeout=WAIT, every=0.2)
    wait_for(lambda: count(engine, "SELECT count(*) FROM customers.customers "
                           "WHERE company_id = :c", c=world.company) >= 7,
             timeout=WAIT, every=0.2)
    assert customers is not None

    with engine.connect() as conn:
        assert privacy_scan.plaintext(conn, ["+86" + p for p in numbers]) == {}


def test_the_scan_finds_a_phone_written_anywhere(engine):
    """The scan itself: a phone in plain text in any schema, text or JSON, is found."""
    phone = unique_phone()
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS scan_probe"))
        conn.execute(text("CREATE TABLE scan_probe.notes (id serial, note text, doc jsonb, "
                          "tags varchar(40)[], raw bytea)"))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO scan_probe.notes (note, doc, tags, raw) VALUES "
                              "('无', '{}', '{}', NULL), (:n, CAST(:d AS jsonb), :t, :r)"),
                         {"n": f"客户电话 {phone[:3]} {phone[3:7]} {phone[7:]}",
                          "d": f'{{"phone": "+86{phone}"}}', "t": [f"86{phone}"],
                          "r": f"tel:{phone};".encode()})
        with engine.connect() as conn:
            found = privacy_scan.plaintext(conn, ["+86" + phone])
            anything = privacy_scan.any_mobile(conn)
        assert set(found) == {f'"scan_probe"."notes"."{c}"' for c in ("note", "doc", "tags",
                                                                      "raw")}
        assert set(found) <= set(anything)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA scan_probe CASCADE"))
