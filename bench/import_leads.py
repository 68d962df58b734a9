"""Lead import in bulk: how fast a 100,000-row list goes into the leads schema.

    python -m bench.import_leads                    # 100,000 rows, .xlsx
    python -m bench.import_leads --format csv -n 20000

It writes a messy list the way sales offices keep them (phones in every format: spaces,
dashes, +86, full-width digits, Excel number cells, landlines; about 5% repeated phones, 2%
bad phones, a few blank lines, Chinese headers, a column nobody maps), then imports it
through the same bulk path `keyuan import` and the leads service's import jobs use
(services.leads.import_store), into a fresh database `keyuan_bench_<hex>` (migrated, demo
company loaded, the leads service's read copies filled from the directory's events), and
drops the database at the end. No service runs: the figure is the import alone; the
outbox events it wrote would be published afterwards by the leads service's relay.

Prints one JSON object: rows (data rows in the file), format, file_mb, seconds (checking
and storing the upload, parsing, storing), rows_per_s, created/merged/rejected,
parse_seconds (read + validate + dedupe), store_seconds (the batched writes),
store_rows_per_s, outbox_events, batch, max_rss_mb (the process's peak memory, the
generated file included). Never asserts on time."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import random
import resource
import sys
import time
import uuid
from urllib.parse import quote

from bench.lead_intake import (
    AMQP_SERVER,
    PG_SERVER,
    create_database,
    create_vhost,
    delete_vhost,
    drop_database,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国晓红文辉鑫宇浩然子涵梓萱"
CHANNELS = ["抖音", "贝壳", "小程序", "官网", "中介带看", "自然到访", "老带新", "来电", "朋友介绍",
            "2024秋季房展会", ""]
BUDGETS = ["200-300万", "300万", "150-200万", "500万以上", "250", "80-120万", "", "1.2亿"]
AREAS = ["89-120㎡", "90平", "120", "140-180平米", "", "70-89"]
PURPOSES = ["自住", "投资", "学区", "改善", "刚需", "", "改善自住"]
PREFIXES = [str(p) for p in (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159,
                              *range(180, 190), 166, 177, 198, 199)]
HEADERS = ["序号", "客户姓名", "手机号码", "来源渠道", "预算", "意向面积", "置业目的", "意向户型",
           "区域", "备注", "录入人"]


def messy_phone(rng: random.Random, number: str) -> object:
    """One phone in one of the ways people type it into a spreadsheet."""
    style = rng.random()
    if style < 0.30:
        return number
    if style < 0.40:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style < 0.50:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style < 0.60:
        return f"+86 {number}"
    if style < 0.65:
        return f"86{number}"
    if style < 0.72:
        return number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return int(number)  # an Excel number cell (a float in CSV exports: see below)


def generate_rows(n: int, seed: int = 2026) -> tuple[list[list[object]], dict]:
    rng = random.Random(seed)
    mobiles = [f"{rng.choice(PREFIXES)}{d:08d}" for d in rng.sample(range(10**8), n)]
    rows: list[list[object]] = []
    seen: list[object] = []
    facts = {"duplicates": 0, "bad_phones": 0, "landlines": 0, "blank_lines": 0}
    for i in range(n):
        roll = rng.random()
        if roll < 0.05 and seen:
            phone = messy_phone(rng, str(rng.choice(seen)))
            facts["duplicates"] += 1
        elif roll < 0.07:
            phone = rng.choice([mobiles[i][:10], mobiles[i] + "9", "138OO13800O",
                                "1.38001E+10", "000", "微信同号"])
            facts["bad_phones"] += 1
        elif roll < 0.09:
            phone = f"0571-{rng.randint(8000_0000, 8999_9999)}"
            facts["landlines"] += 1
        else:
            phone = messy_phone(rng, mobiles[i])
            seen.append(mobiles[i])
        if rng.random() < 0.003:
            rows.append([None] * len(HEADERS))
            facts["blank_lines"] += 1
        rows.append([
            i + 1, rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            phone, rng.choice(CHANNELS), rng.choice(BUDGETS), rng.choice(AREAS),
            rng.choice(PURPOSES), rng.choice(["三室两厅", "两室一厅", "四室", ""]),
            rng.choice(["滨江", "萧山", "西湖", "余杭", ""]),
            rng.choice(["", "周末看房", "已加微信", "对价格敏感，需要再跟进"]),
            rng.choice(["小王", "小李", "前台"])])
    return rows, facts


def write_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户名单")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        # Excel exports number cells as 13800138000.0 more often than not.
        writer.writerow([f"{v}.0" if isinstance(v, int) and v > 10**9 else v for v in row])
    return out.getvalue().encode("gb18030")   # as Excel on a Chinese Windows saves it


@contextlib.contextmanager
def fresh_database():
    """A migrated database with the demo company, removed afterwards."""
    from kit.migrate import upgrade
    from kit.settings import Settings

    run_id = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_bench_{run_id}", f"keyuan-bench-{run_id}"
    with contextlib.ExitStack() as stack:
        create_database(database)
        stack.callback(drop_database, database)
        create_vhost(vhost)   # migrate declares the event queues: keep them out of "/"
        stack.callback(delete_vhost, vhost)
        settings = Settings(env="test", database_url=f"{PG_SERVER}/{database}",
                            amqp_uri=f"{AMQP_SERVER}/{quote(vhost, safe='')}")
        upgrade(settings)
        load_demo(settings)
        print(f"database {database} ready", file=sys.stderr)
        yield settings


def load_demo(settings) -> None:
    """The demo company, and the leads service's read copies of its projects and users,
    filled from the directory's own events as the running service would fill them."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    from cli import demo_data
    from contracts import directory
    from kit.readcopy import upsert_newer
    from services.directory import store as directory_store
    from services.leads import store

    engine = create_engine(settings.database_url, poolclass=NullPool)
    with Session(engine) as session:
        demo_data.load(session)
        copies = {directory.PROJECT_UPSERTED: store.Projects, directory.USER_UPSERTED:
                  store.Users}
        out = directory_store.Outbox.c
        for event_type, envelope in session.execute(
                select(out.event_type, out.envelope).where(out.event_type.in_(copies))
                .order_by(out.created_at)):
            fact = (directory.ProjectFact if event_type == directory.PROJECT_UPSERTED
                    else directory.UserFact).model_validate(envelope["payload"])
            upsert_newer(session, copies[event_type], fact.model_dump())
        session.commit()
    engine.dispose()


def bench(n: int, kind: str, assign: str, batch: int, project: str) -> dict:
    from sqlalchemy import text

    from cli.demo_data import COMPANY, PROJECTS, demo_id
    from cli.import_file import Progress
    from contracts.actor import Actor
    from kit.crypto import Vault
    from kit.db import make_engine
    from services.leads import import_store

    began = time.perf_counter()
    rows, facts = generate_rows(n)
    content = write_xlsx(rows) if kind == "xlsx" else write_csv(rows)
    print(f"{n:,} rows written as .{kind} ({len(content) / 1e6:.1f} MB) in "
          f"{time.perf_counter() - began:.1f}s", file=sys.stderr)
    with fresh_database() as settings:
        engine = make_engine(settings.database_url_for("leads"), pool_size=1)
        project_id = PROJECTS[project][0]
        manager = Actor(user_id=demo_id(f"user:mgr.{project}"), company_id=COMPANY,
                        role="manager", project_ids=(project_id,))
        progress = Progress()
        began = time.perf_counter()
        result = import_store.import_now(
            engine, Vault.from_settings(settings), manager, project_id, f"客户名单.{kind}",
            content, assign=assign, progress=progress, batch=batch)
        seconds = time.perf_counter() - began
        progress.close()
        with engine.connect() as conn:
            events = conn.execute(text("SELECT count(*) FROM leads.outbox")).scalar_one()
        engine.dispose()
    return {
        "rows": result.total, "format": kind, "file_mb": round(len(content) / 1e6, 2),
        "status": result.status, "seconds": round(seconds, 2),
        "rows_per_s": round(result.total / seconds), "created": result.created,
        "merged": result.merged, "rejected": result.rejected,
        "parse_seconds": round(result.parse_seconds, 2),
        "store_seconds": round(result.store_seconds, 2),
        "store_rows_per_s": round(result.total / result.store_seconds)
        if result.store_seconds else None,
        "outbox_events": events, "batch": batch, "assign": assign, "generated": facts,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_leads",
                                     description="bulk lead import throughput")
    parser.add_argument("-n", "--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--assign", choices=("pool", "round_robin"), default="pool")
    parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")
    parser.add_argument("--project", choices=("hz", "sh"), default="hz")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.batch < 1:
        parser.error("--rows and --batch must be at least 1")
    figures = bench(args.rows, args.format, args.assign, args.batch, args.project)
    print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)
    return 0 if figures["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
