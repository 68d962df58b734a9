"""Lead imports over real RabbitMQ and PostgreSQL: the upload, the timer that stores it in
batches, dedupe against the database, re-runs, scope, and the .xlsx report."""

import base64
import io
import uuid

import pytest
from nameko.testing.services import entrypoint_hook
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from contracts import directory
from contracts.actor import Actor, Role
from contracts.errors import Forbidden, NotFound, ValidationFailed
from contracts.leads import Channel
from kit.crypto import Vault
from services.leads import import_store
from services.leads.service import LeadsService
from tests.service.conftest import count, envelope, wait_for

HEADER = ["客户姓名", "手机号码", "来源", "预算", "意向户型", "备注", "录入人"]


@pytest.fixture
def leads(start, world):
    container = start(LeadsService)
    with entrypoint_hook(container, "on_project_upserted") as project:
        project(envelope("directory", directory.PROJECT_UPSERTED, world.project_fact()))
        project(envelope("directory", directory.PROJECT_UPSERTED,
                         world.project_fact(world.other_project, city="上海")))
    return container


def add_users(container, *facts):
    with entrypoint_hook(container, "on_user_upserted") as upsert:
        for fact in facts:
            upsert(envelope("directory", directory.USER_UPSERTED, fact))


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(world, content: bytes, filename="客户名单.xlsx", **options) -> dict:
    return {"project_id": str(world.project), "filename": filename,
            "content_b64": base64.b64encode(content).decode(), **options}


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def finished(container, token, job_id) -> dict:
    return wait_for(lambda: (lambda s: s if s["status"] in ("done", "failed") else None)(
        call(container, "import_status", token, job_id)), timeout=60, every=0.2)


def messy_rows(known_phone: str) -> list[list]:
    """13 rows (and a blank line that counts for nothing): 7 new customers, 3 merged (2
    repeat an earlier row, 1 is already a customer), 3 rejected."""
    return [
        ["张三", "138 0013 8000", "抖音", "200-300万", "三室两厅", "", "小王"],   # row 2
        ["李四", "+86 139-0013-9000", "贝壳", "300万", "", "", ""],                # 3
        ["王五", "１３７００１３７０００", "", "", "", "全角数字", ""],              # 4
        [None, None, None, None, None, None, None],                                  # 5 blank
        ["赵六", "0571-8888 8888", "自然到访", "", "", "座机", ""],                # 6
        ["钱七", 13600136000.0, "", "", "", "Excel 数字", ""],                      # 7
        ["孙八", "8613500135000", "", "", "", "", ""],                              # 8
        ["周九", "13800138000", "来电", "", "", "同第2行", ""],                     # 9 merged
        ["吴十", "1380013800", "", "", "", "少一位", ""],                           # 10 bad
        ["郑一", "微信同号", "", "", "", "", ""],                                    # 11 bad
        ["冯二", "13400134000", "", "abc", "", "", ""],                             # 12 bad
        ["陈三", f"+86 {known_phone}", "", "", "", "老客户", ""],                  # 13 merged
        ["褚四", "１３９ ００１３ ９０００", "", "", "", "同第3行", ""],            # 14 merged
        ["卫五", "13300133000", "官网", "", "", "", ""],                            # 15
    ]


def test_a_messy_list_is_stored_in_bulk_merged_with_known_customers_and_reported(
        leads, world, engine):
    add_users(leads, world.user("a"), world.user("b"), world.user("mgr", Role.manager))
    mgr = world.token("mgr")
    known_phone = "13200132000"
    known = call(leads, "create", mgr, {"name": "老客户", "phone": known_phone,
                                        "channel": "walk_in", "project_id": str(world.project)})

    started = call(leads, "start_import", mgr, upload(world, workbook(messy_rows(known_phone))))
    assert started["status"] == "queued"
    assert started["ignored_columns"] == ["录入人"]
    job_id = started["job_id"]
    status = finished(leads, mgr, job_id)
    assert status["status"] == "done", status
    assert (status["total"], status["created"], status["merged"], status["rejected"]) == \
        (13, 7, 3, 3)

    report = call(leads, "import_report", mgr, job_id, {"page_size": 100})["rows"]
    by_row = {r["row"]: r for r in report}
    assert sorted(by_row) == [2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]   # no blank row
    assert by_row[13]["outcome"] == "merged"
    assert by_row[13]["customer_id"] == known["customer_id"]
    assert by_row[9]["customer_id"] == by_row[2]["customer_id"] and "row 2" in \
        by_row[9]["reason"]
    assert by_row[14]["customer_id"] == by_row[3]["customer_id"]
    assert {by_row[n]["field"] for n in (10, 11)} == {"phone"}
    assert by_row[12]["field"] == "budget"

    # In the database: one lead per stored row, events as intake writes them, the pool.
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE import_job_id = :j",
                 j=job_id) == 10
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE company_id = :c",
                 c=world.company) == 8
    assert count(engine, "SELECT count(*) FROM leads.customer_keys WHERE company_id = :c "
                 "AND owner_id IS NULL", c=world.company) == 7          # pool by default
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = "
                 "'lead.created' AND envelope->'payload'->>'company_id' = :c "
                 "AND envelope->'payload'->>'source' = 'import'", c=str(world.company)) == 10
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = "
                 "'lead.assigned' AND envelope->'payload'->>'company_id' = :c",
                 c=str(world.company)) == 7 + 1                 # and the known customer's
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE import_job_id = :j "
                 "AND channel = 'douyin' AND budget_min = 2000000", j=job_id) == 1
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE import_job_id = :j "
                 "AND grade IS NOT NULL AND grade_reason IS NOT NULL", j=job_id) == 10
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = "
                 "'lead.created' AND envelope->'payload'->>'source' = 'import' AND "
                 "envelope->'payload'->>'grade' IS NOT NULL AND "
                 "envelope->'payload'->>'company_id' = :c", c=str(world.company)) == 10

    xlsx = call(leads, "import_report_xlsx", mgr, job_id)
    assert xlsx["filename"] == "导入报告-客户名单.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_b64"]))).worksheets[0]
    lines = [[c.value for c in row] for row in sheet.iter_rows()]
    assert lines[0] == ["行号", "结果", "原因", "字段", "客户ID"]
    rejected = {line[0]: line for line in lines[1:] if line[1] == "拒绝"}
    assert sorted(rejected) == [10, 11, 12]
    for number, line in rejected.items():
        assert line[2] == by_row[number]["reason"] and line[2]
        assert line[3] == by_row[number]["field"]
    assert {line[0]: line[4] for line in lines[1:]}[13] == known["customer_id"]


def test_running_a_job_again_creates_nothing_twice(leads, world, engine):
    add_users(leads, world.user("mgr", Role.manager))
    mgr = world.token("mgr")
    job_id = call(leads, "start_import", mgr, upload(world, workbook(messy_rows(
        "13200132000"))))["job_id"]
    first = finished(leads, mgr, job_id)
    leads_before = count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                         c=world.company)
    events_before = count(engine, "SELECT count(*) FROM leads.outbox WHERE "
                          "envelope->'payload'->>'company_id' = :c", c=str(world.company))

    with engine.begin() as conn:   # as if it had crashed after its last batch
        conn.execute(text("UPDATE leads.import_jobs SET status = 'queued', "
                          "finished_at = NULL WHERE id = :j"), {"j": job_id})
    again = finished(leads, mgr, job_id)
    assert again["status"] == "done"
    assert {k: again[k] for k in ("total", "created", "merged", "rejected")} == \
        {k: first[k] for k in ("total", "created", "merged", "rejected")}
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                 c=world.company) == leads_before
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE "
                 "envelope->'payload'->>'company_id' = :c",
                 c=str(world.company)) == events_before


def test_an_interrupted_job_is_resumed_by_the_service_from_the_next_batch(leads, world,
                                                                         engine):
    """A runner that stops after its first batch (a crash loses at most the batch in hand)
    leaves the job running; the service's timer finishes it, skipping what is stored."""
    add_users(leads, world.user("a"), world.user("mgr", Role.manager))
    fact = world.users["mgr"]
    mgr = Actor(user_id=fact["id"], company_id=fact["company_id"], role=Role.manager,
                project_ids=(world.project,))
    vault = Vault.from_settings(world.settings)
    content = workbook([[f"客户{i}", f"1390000{i:04d}", "", "", "", "", ""]
                        for i in range(10)] + [["重复", "13900000000", "", "", "", "", ""]])
    job_id = uuid.uuid4()
    with import_store.job_connection(engine) as conn:
        assert import_store.try_lock(conn, job_id)
        with Session(bind=conn) as session:
            checked = import_store.check(session, mgr, world.project, "a.xlsx", content, None,
                                         "round_robin")
            import_store.create_job(
                session, vault, job_id=job_id, company_id=world.company,
                project_id=world.project, created_by=mgr.user_id, filename="a.xlsx",
                content=content, content_type=None, mapping=None, plan=checked.plan,
                channel=Channel.other, assign="round_robin",
                status=import_store.RUNNING)
            session.commit()
        batches = iter(range(100))
        partial = import_store.run(conn, vault, job_id, batch=4,
                                   stopping=lambda: next(batches) >= 1)
    assert partial.status == "running"
    assert count(engine, "SELECT count(*) FROM leads.import_rows WHERE job_id = :j",
                 j=job_id) == 4

    done = finished(leads, world.token("mgr"), str(job_id))
    assert (done["status"], done["total"], done["created"], done["merged"]) == \
        ("done", 11, 10, 1)
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE import_job_id = :j",
                 j=job_id) == 11
    assert count(engine, "SELECT count(DISTINCT owner_id) FROM leads.customer_keys "
                 "WHERE company_id = :c", c=world.company) == 1      # round-robin of one


def test_round_robin_and_a_named_consultant(leads, world, engine):
    a, b = world.user("a"), world.user("b")
    add_users(leads, a, b, world.user("off", on_duty=False), world.user("mgr", Role.manager))
    mgr = world.token("mgr")
    rows = [[f"客户{i}", f"1380000{i:04d}", "", "", "", "", ""] for i in range(4)]
    job = call(leads, "start_import", mgr, upload(world, workbook(rows),
                                                  assign="round_robin"))["job_id"]
    assert finished(leads, mgr, job)["created"] == 4
    owners = [row[0] for row in _rows(engine, "SELECT owner_id FROM leads.leads WHERE "
                                      "import_job_id = :j", j=job)]
    assert sorted(map(str, owners)) == sorted([a["id"], b["id"]] * 2)

    rows = [[f"客户{i}", f"1370000{i:04d}", "", "", "", "", ""] for i in range(3)]
    job = call(leads, "start_import", world.token("a"),
               upload(world, workbook(rows), assign=a["id"], channel="agency"))["job_id"]
    assert finished(leads, world.token("a"), job)["created"] == 3
    assert {(str(o), ch) for o, ch in _rows(
        engine, "SELECT owner_id, channel FROM leads.leads WHERE import_job_id = :j",
        j=job)} == {(a["id"], "agency")}


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_only_the_importer_and_their_managers_see_a_job(leads, world):
    me, colleague = world.user("me"), world.user("colleague")
    add_users(leads, me, colleague, world.user("mgr", Role.manager),
              world.user("mgr.other", Role.manager, team=world.other_team,
                         projects=[world.other_project]),
              world.user("director", Role.director, team=None))
    job = call(leads, "start_import", world.token("me"),
               upload(world, workbook([["甲", "13800138000", "", "", "", "", ""]]),
                      assign=me["id"]))["job_id"]
    assert finished(leads, world.token("me"), job)["created"] == 1
    for who in ("mgr", "director"):
        assert call(leads, "import_status", world.token(who), job)["job_id"] == job
    for who in ("colleague", "mgr.other"):
        for method in ("import_status", "import_report", "import_report_xlsx"):
            with pytest.raises(NotFound) as caught:
                call(leads, method, world.token(who), job)
            assert caught.value.field == "job_id"
    with pytest.raises(NotFound):
        call(leads, "import_status", world.token("me"), str(uuid.uuid4()))
    with pytest.raises(NotFound):
        call(leads, "import_status", world.token("me"), "not-a-job")


@pytest.mark.parametrize(("change", "error", "field"), [
    ({"project_id": str(uuid.uuid4())}, ValidationFailed, "project_id"),
    ({"filename": "x.pdf", "content_b64": base64.b64encode(b"%PDF-1.4").decode()},
     ValidationFailed, "file"),
    ({"content_b64": "%%%"}, ValidationFailed, "file"),
    ({"content_b64": base64.b64encode("姓名,备注\n甲,x\n".encode()).decode(),
      "filename": "a.csv"}, ValidationFailed, "mapping"),
    ({"mapping": {"手机号码": "salary"}}, ValidationFailed, "mapping"),
    ({"channel": "carrier_pigeon"}, ValidationFailed, "channel"),
    ({"assign": "everyone"}, ValidationFailed, "assign"),
    ({"assign": "OTHER"}, ValidationFailed, "assign"),     # a consultant of another project
])
def test_bad_uploads_are_refused_naming_the_field_and_nothing_is_stored(
        leads, world, engine, change, error, field):
    outsider = world.user("outsider", projects=[world.other_project])
    add_users(leads, world.user("mgr", Role.manager), outsider)
    if change.get("assign") == "OTHER":
        change = {"assign": outsider["id"]}
    body = {**upload(world, workbook([["甲", "13800138000", "", "", "", "", ""]])), **change}
    with pytest.raises(error) as caught:
        call(leads, "start_import", world.token("mgr"), body)
    assert caught.value.field == field
    assert count(engine, "SELECT count(*) FROM leads.import_jobs WHERE company_id = :c",
                 c=world.company) == 0


def test_roles_outside_the_project_may_not_import(leads, world):
    add_users(leads, world.user("owner", Role.homeowner),
              world.user("elsewhere", projects=[world.other_project]))
    body = upload(world, workbook([["甲", "13800138000", "", "", "", "", ""]]))
    for who in ("owner", "elsewhere"):
        with pytest.raises(Forbidden):
            call(leads, "start_import", world.token(who), body)
