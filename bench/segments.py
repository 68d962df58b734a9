"""Segments over a million customers: how fast a segment is counted and its first page listed.

    python -m bench.segments                 # 1,000,000 customers
    python -m bench.segments -n 200000 --repeat 3
    python -m bench.segments --recount       # also: recounting a project's completeness

Loads N synthetic customers of one company (20 projects, 40 teams, 400 consultants, 8% in
the pool; five years of history; stages, follow-ups, portraits, ~1.6 tags each, 3% opted
out, 0.5% erased or merged away; the phone columns hold ciphertext-like strings) with COPY
into a fresh database `keyuan_bench_<hex>`, migrated by kit.migrate.upgrade (so with exactly
the indexes of customers_0006), runs VACUUM ANALYZE, then times five realistic segments, as
the admin (the whole company) and as one team's manager, through the same SQL the RPCs run
(services.customers.segments: count_query and page_query, the scope from kit.scope). No
service runs: the figures are the database's; an RPC adds its round trip. The database is
dropped at the end.

Prints one JSON object: load figures, then per segment and actor: rows (the count), count_ms
and page_ms (median and best of --repeat runs after one warm-up), the indexes the plan uses
(from EXPLAIN ANALYZE), whether it scans the customers table sequentially, and the server's
own execution time. Never asserts on time."""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.expression import ClauseElement, Executable

from bench.lead_intake import (
    AMQP_SERVER,
    PG_SERVER,
    create_database,
    create_vhost,
    delete_vhost,
    drop_database,
)

NOW = datetime.now(UTC)
YEARS = 5
PROJECTS, TEAMS_PER_PROJECT, CONSULTANTS_PER_TEAM = 20, 2, 10
STAGES = (("new", 28), ("contacted", 20), ("invited", 10), ("visited", 10), ("intent", 8),
          ("subscribed", 4), ("signed", 12), ("invalid", 5), ("lost", 3))
FOCUS = ("学区", "地铁", "商圈", "景观", "车位", "物业", "医疗", "升值")
FAMILY = ("单身", "二人世界", "三口之家", "二孩家庭", "三代同堂")
PAYMENT = ("全款", "商贷", "公积金", "组合贷")
FREE = ("老业主", "周末看房", "价格敏感", "外地客户", "投资客")
DISTRICTS = ("滨江", "西湖", "萧山", "余杭", "上城", "拱墅", "临平", "钱塘")
LAYOUTS = ("两室一厅", "三室两厅", "四室两厅", "复式")
PURPOSES = ("self_use", "investment", "school_district", "upgrade")
CHANNELS = ("douyin", "beike", "walk_in", "referral", "agency", "website")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"

CUSTOMER_COLUMNS = (
    "id", "company_id", "project_id", "name", "phone_enc", "phone_index", "phone_masked",
    "owner_id", "stage", "channel", "first_lead_id", "created_at", "updated_at", "version",
    "owner_revision", "stage_entered_at", "last_followup_at", "deal_amount", "deal_unit",
    "lost_reason", "portrait", "completeness", "referrer_id", "referral_reward",
    "marketing_opt_out", "opted_out_at", "erased_at", "merged_into")
USER_COLUMNS = ("id", "company_id", "name", "role", "team_id", "project_ids", "active",
                "on_duty", "revision")


class Explain(Executable, ClauseElement):
    """EXPLAIN (ANALYZE, FORMAT JSON) of a statement, binds processed as when it runs."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element, compiler, **kw):
    return "EXPLAIN (ANALYZE, FORMAT JSON) " + compiler.process(element.statement, **kw)


# --- the synthetic company ----------------------------------------------------------------

class Company:
    def __init__(self, rng: random.Random):
        self.id = uuid.UUID(int=rng.getrandbits(128))
        self.projects = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(PROJECTS)]
        self.users: list[tuple] = []
        self.teams: list[dict] = []
        self.admin = self._user(rng, "admin", "admin", None, self.projects)
        for p, project in enumerate(self.projects):
            for t in range(TEAMS_PER_PROJECT):
                team = uuid.UUID(int=rng.getrandbits(128))
                manager = self._user(rng, f"mgr.{p}.{t}", "manager", team, [project])
                consultants = [self._user(rng, f"c.{p}.{t}.{i}", "consultant", team, [project])
                               for i in range(CONSULTANTS_PER_TEAM)]
                self.teams.append({"id": team, "project": project, "manager": manager,
                                   "consultants": consultants})
        self.by_project = {project: [c for team in self.teams if team["project"] == project
                                     for c in team["consultants"]]
                           for project in self.projects}

    def _user(self, rng, name, role, team, projects) -> uuid.UUID:
        user = uuid.UUID(int=rng.getrandbits(128))
        self.users.append((user, self.id, name, role, team, projects, True, True, 1))
        return user


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    return str(value)


def customer_rows(company: Company, n: int, rng: random.Random):
    """(customer line, [tag lines]) per customer, as COPY text."""
    span = YEARS * 365 * 86400
    recent: list[uuid.UUID] = []
    stage_names = [s for s, _ in STAGES]
    stage_weights = [w for _, w in STAGES]
    for i in range(n):
        cid = uuid.UUID(int=rng.getrandbits(128))
        project = rng.choice(company.projects)
        owner = None if rng.random() < 0.08 else rng.choice(company.by_project[project])
        created = NOW - timedelta(seconds=rng.randrange(span))
        stage = rng.choices(stage_names, weights=stage_weights, k=1)[0]
        alive = (NOW - created).total_seconds()
        entered = created if stage == "new" else created + timedelta(
            seconds=rng.random() * alive)
        followed = None
        if rng.random() < (0.5 if stage == "new" else 0.88):
            followed = created + timedelta(seconds=rng.random() * alive)
        portrait: dict = {}
        if rng.random() < 0.7:
            low = rng.randrange(80, 900) * 10_000
            portrait = {"purpose": rng.choice(PURPOSES),
                        "districts": rng.sample(DISTRICTS, rng.choice((1, 1, 2))),
                        "layouts": [rng.choice(LAYOUTS)], "budget_min": low,
                        "budget_max": low + rng.randrange(50, 300) * 10_000,
                        "area_min": rng.randrange(60, 160)}
            if rng.random() < 0.15:
                del portrait["budget_max"]
        tags = set()
        for dimension, values, chance in (("focus", FOCUS, 0.55), ("family", FAMILY, 0.45),
                                          ("payment", PAYMENT, 0.35), ("", FREE, 0.2)):
            if rng.random() < chance:
                tags.add((dimension, rng.choice(values)))
        if rng.random() < 0.2:
            tags.add(("focus", rng.choice(FOCUS)))
        referrer = rng.choice(recent) if recent and rng.random() < 0.02 else None
        opted = rng.random() < 0.03
        roll = rng.random()
        erased = created + timedelta(days=1) if roll < 0.002 else None
        merged = rng.choice(recent) if 0.002 <= roll < 0.005 and recent else None
        signed = stage == "signed"
        line = "\t".join(_tsv(v) for v in (
            cid, company.id, project, rng.choice(SURNAMES) + "先生",
            "v1.bench." + base64.urlsafe_b64encode(os.urandom(41)).decode(),
            os.urandom(32).hex(), f"1{rng.randrange(30, 99)}****{rng.randrange(10000):04d}",
            owner, stage, rng.choice(CHANNELS), uuid.UUID(int=rng.getrandbits(128)), created,
            max(entered, followed or entered), 1, 1, entered, followed,
            rng.randrange(150, 900) * 10_000 if signed else None,
            f"{rng.randrange(1, 30)}-{rng.randrange(1, 4)}-{rng.randrange(101, 3302)}"
            if signed else None, "预算不足" if stage == "lost" else None,
            json.dumps(portrait, ensure_ascii=False), rng.randrange(20, 100), referrer,
            None if referrer is None else "pending", opted, created if opted else None,
            erased, merged))
        yield line, [f"{cid}\t{d}\t{v}" for d, v in tags]
        if i % 50 == 0:
            recent.append(cid)
            if len(recent) > 2000:
                recent.pop(0)


def load(engine, company: Company, n: int, seed: int) -> dict:
    rng = random.Random(seed)
    started = time.perf_counter()
    tags_total = 0
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY customers.users ({', '.join(USER_COLUMNS)}) FROM STDIN") as cp:
                for row in company.users:
                    cp.write_row(row)
            columns = ", ".join(CUSTOMER_COLUMNS)
            with cur.copy(f"COPY customers.customers ({columns}) FROM STDIN") as customers, \
                    io.StringIO() as tag_lines:
                batch: list[str] = []
                for i, (line, tags) in enumerate(customer_rows(company, n, rng), 1):
                    batch.append(line)
                    tag_lines.write("".join(t + "\n" for t in tags))
                    tags_total += len(tags)
                    if len(batch) == 10_000:
                        customers.write("\n".join(batch) + "\n")
                        batch.clear()
                    if i % 100_000 == 0:
                        print(f"  {i:,} customers", file=sys.stderr)
                if batch:
                    customers.write("\n".join(batch) + "\n")
                tag_data = tag_lines.getvalue()
            copied = time.perf_counter()
            with cur.copy("COPY customers.customer_tags (customer_id, dimension, value) "
                          "FROM STDIN") as cp:
                cp.write(tag_data)
        raw.commit()
    loaded = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE customers.customers"))
        conn.execute(text("VACUUM ANALYZE customers.customer_tags"))
        conn.execute(text("VACUUM ANALYZE customers.users"))
        size = conn.execute(text(
            "SELECT pg_total_relation_size('customers.customers') + "
            "pg_total_relation_size('customers.customer_tags')")).scalar_one()
    return {"customers": n, "tags": tags_total,
            "copy_customers_s": round(copied - started, 1),
            "copy_tags_s": round(loaded - copied, 1),
            "vacuum_analyze_s": round(time.perf_counter() - loaded, 1),
            "customers_per_s": round(n / (copied - started)),
            "tables_and_indexes_mb": round(size / 2**20)}


# --- the segments -------------------------------------------------------------------------

def segments_of(company: Company) -> dict[str, dict]:
    phase1 = str(company.projects[0])
    return {
        # The example: owners of phase 1 who focus on education, signed > 2 years ago.
        "phase1_school_focus_signed_over_2y": {
            "project_ids": [phase1], "tags": ["focus:学区"],
            "signed": {"more_than_days_ago": 730}},
        # Re-activation: serious customers nobody has called for a month.
        "intent_or_subscribed_no_followup_30d": {
            "stages": ["intent", "subscribed"],
            "last_followup": {"more_than_days_ago": 30, "or_never": True}},
        # Upgraders looking in 滨江/西湖 with 3–5 million.
        "upgraders_binjiang_xihu_3_to_5m": {
            "purposes": ["upgrade"], "districts": ["滨江", "西湖"],
            "budget": {"min": 3_000_000, "max": 5_000_000}},
        # New this month and never followed up.
        "new_last_30d_never_followed_up": {
            "stages": ["new"], "created": {"within_days": 30},
            "last_followup": {"or_never": True}},
        # Families who want the metro and have visited (all tags).
        "metro_families_visited_or_intent": {
            "tags": ["focus:地铁", "family:三口之家"], "tags_match": "all",
            "stages": ["visited", "intent"]},
    }


def _plan_facts(plan: dict) -> dict:
    indexes, seq = set(), []

    def walk(node):
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan":
            seq.append(node.get("Relation Name"))
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return {"indexes": sorted(indexes), "seq_scans": sorted(set(seq)),
            "server_ms": round(plan["Execution Time"], 1)}


def _timed(session: Session, stmt, repeat: int, fetch) -> tuple[list[float], object]:
    result = fetch(session.execute(stmt))          # warm-up (and the answer)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fetch(session.execute(stmt))
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def measure(engine, company: Company, repeat: int) -> dict:
    from contracts.actor import Actor, Role
    from contracts.customers import SegmentFilter
    from kit.scope import visibility
    from services.customers import segments, store

    team = company.teams[0]     # phase 1's first team
    actors = {
        "admin": Actor(user_id=company.admin, company_id=company.id, role=Role.admin),
        "manager": Actor(user_id=team["manager"], company_id=company.id, role=Role.manager,
                         team_id=team["id"], project_ids=(team["project"],)),
    }
    figures: dict = {}
    with Session(engine) as session:
        for name, spec in segments_of(company).items():
            wanted = SegmentFilter.model_validate(spec)
            figures[name] = {"filter": spec}
            for who, actor in actors.items():
                vis = visibility(actor)
                count = segments.count_query(wanted, vis, NOW)
                page = segments.page_query(wanted, vis, NOW, 1, 20)
                count_times, rows = _timed(session, count, repeat, lambda r: r.scalar_one())
                # As segment_customers does: the page's ids, then their rows.
                page_times, items = _timed(session, page, repeat, lambda r: session.scalars(
                    select(store.Customer).where(store.Customer.id.in_(
                        [row.id for row in r.all()][:20]))).all())
                count_plan = session.execute(Explain(count)).scalar_one()[0]
                page_plan = session.execute(Explain(page)).scalar_one()[0]
                figures[name][who] = {
                    "rows": rows, "first_page_rows": min(len(items), 20),
                    "count_ms": {"median": round(statistics.median(count_times), 1),
                                 "best": round(min(count_times), 1)},
                    "page_ms": {"median": round(statistics.median(page_times), 1),
                                "best": round(min(page_times), 1)},
                    "count_plan": _plan_facts(count_plan),
                    "page_plan": _plan_facts(page_plan),
                }
                print(f"  {name} as {who}: {rows:,} rows, count "
                      f"{figures[name][who]['count_ms']['median']} ms, page "
                      f"{figures[name][who]['page_ms']['median']} ms", file=sys.stderr)
            session.rollback()
    return figures


def measure_recount(engine, company: Company) -> dict:
    """A director changes project 1's profile fields: how fast the background recount
    (services.customers.project_setup_entrypoints.recount_batch, as the timer runs it)
    brings its customers' stored completeness up to date."""
    from services.customers import store
    from services.customers.project_setup_entrypoints import RECOUNT_BATCH, recount_batch

    project = company.projects[0]
    with Session(engine) as session:
        customers = session.scalar(select(func.count()).select_from(store.Customer).where(
            store.Customer.project_id == project))
        session.add(store.ProjectProfileFields(
            project_id=project, company_id=company.id, required=["budget", "tag:focus"],
            optional=["gender", "layouts", "districts", "purpose", "free_tags"], revision=1,
            recomputed_revision=0, updated_at=NOW, updated_by=company.admin))
        session.commit()
        batches, started = 0, time.perf_counter()
        while recount_batch(session):
            batches += 1
        seconds = time.perf_counter() - started
    print(f"  recount: {customers:,} customers in {seconds:.1f} s", file=sys.stderr)
    return {"project_customers": customers, "batches": batches, "batch": RECOUNT_BATCH,
            "seconds": round(seconds, 2), "customers_per_s": round(customers / seconds)}


@contextlib.contextmanager
def fresh_database(keep: bool = False):
    from kit.migrate import upgrade
    from kit.settings import Settings

    run_id = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_bench_{run_id}", f"keyuan-bench-{run_id}"
    with contextlib.ExitStack() as stack:
        create_database(database)
        if not keep:
            stack.callback(drop_database, database)
        create_vhost(vhost)   # migrate declares the event queues: keep them out of "/"
        stack.callback(delete_vhost, vhost)
        settings = Settings(env="test", database_url=f"{PG_SERVER}/{database}",
                            amqp_uri=f"{AMQP_SERVER}/{quote(vhost, safe='')}")
        upgrade(settings)
        print(f"database {database} ready" + (" (kept afterwards: drop it yourself)"
                                             if keep else ""), file=sys.stderr)
        yield settings, database


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="customers to load")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true",
                        help="keep the loaded database (to study plans; drop it yourself)")
    parser.add_argument("--recount", action="store_true",
                        help="also time the completeness recount of one project (changes "
                             "the database: not with --database twice)")
    parser.add_argument("--database", help="measure a database an earlier --keep run loaded "
                                           "(same --seed), without loading")
    args = parser.parse_args(argv)
    if args.database:
        from kit.settings import Settings

        reuse = Settings(env="test", database_url=f"{PG_SERVER}/{args.database}")
        opened = contextlib.nullcontext((reuse, args.database))
    else:
        opened = fresh_database(args.keep)
    with opened as (settings, database):
        engine = create_engine(settings.database_url, poolclass=NullPool)
        try:
            company = Company(random.Random(args.seed))
            if args.database:
                loaded = {"reused": args.database}
            else:
                loaded = load(engine, company, args.n, args.seed)
            print(f"loaded: {loaded}", file=sys.stderr)
            with engine.connect() as conn:
                server = {k: conn.execute(text(f"SHOW {k}")).scalar_one() for k in (
                    "server_version", "shared_buffers", "work_mem",
                    "max_parallel_workers_per_gather")}
            figures = measure(engine, company, args.repeat)
            recount = measure_recount(engine, company) if args.recount else None
        finally:
            engine.dispose()
    print(json.dumps({"database": database, "postgres": server, "load": loaded,
                      "repeat": args.repeat, "cpus": os.cpu_count(),
                      "manager_scope": f"one team: {CONSULTANTS_PER_TEAM} consultants of "
                                       f"{PROJECTS * TEAMS_PER_PROJECT * CONSULTANTS_PER_TEAM}",
                      "segments": figures, "completeness_recount": recount},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
