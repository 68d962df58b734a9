"""The desk's 团队客户 (TeamCustomersPage) over a team of 10,000 customers: how fast the
gateway answers its list requests, and how responsive the page stays in a browser.

    python -m bench.desk_customers                      # 10,000 customers of the team
    python -m bench.desk_customers --rows 100000        # ... in a table of 100,000
    python -m bench.desk_customers -n 2000 --no-browser --keep

Makes a fresh database `keyuan_bench_<hex>` and vhost `keyuan-bench-<hex>` (migrated) and
in it, through the directory's own commands (bench.seed), a company with one project and one
team: a manager (`bench.0`, password bench.seed.BENCH_PASSWORD) and --consultants
consultants. Loads N customers spread unevenly over the consultants with COPY into the
customers service's profiles (real vault-sealed phones, so the page can show them), tags,
follow-ups and the leads service's customer index: stages as a funnel has them, grades A–D
(some none), 0–3 tags from the default dimensions and free tags, portraits with districts,
budgets and layouts (stored completeness as the service scores it), created over the last
--months months, ~65% followed up since. With --rows R > N, R − N more customers of 40 other
teams of the same company and project fill the table (the manager sees none of them). Then
`VACUUM ANALYZE`, and the whole suite is started as `keyuan up --no-demo` starts it (gateway
under gunicorn, six services, real processes, the built web app: cli.web_build.ensure_built).

API figures: as the manager, through the gateway over HTTP (bearer token, one keep-alive
session), GET /api/customers exactly as TeamCustomersPage asks (page_size 50 and the one
filter), --requests times each after 3 unmeasured ones: the first page, a deep page, and
filtered by stage, grade, owner, tag, silent_days, completeness_below, q by a name and q by
a whole phone number. p50/p95/max in ms (nearest rank), the total the answer reports, its
bytes.

Browser figures: Debian's Chromium (/usr/bin/chromium --no-sandbox) through Playwright,
1440x900, signed in as the manager (POST /api/web/session), a new context (empty cache) per
run, --browser-runs runs, medians. Measured inside the page with performance.now(), the
condition checked on every animation frame:

  first_rows_ms      navigation start -> the table shows its 50 rows
  filter_grade_ms    等级 set to A -> the table holds only A-grade rows and is not busy
  next_page_ms       下一页 clicked -> page 2's rows are shown
  select_all_open_dialog_ms   选择本页全部 checked, 批量转移 clicked -> the dialog is open
  long_tasks         Chrome's long tasks (PerformanceObserver 'longtask', > 50 ms) during
                     each step and in all: count and total ms
  opening            on opening: DOMContentLoaded, the app's scripts loaded, the list's
                     request sent, its first byte and its end, and each API request's
                     [sent, first byte, end] (resource timing, ms from navigation start)
  api_requests       what the page asked the API for on opening (path, query, bytes)

Prints one JSON object (the machine's CPUs and load average beside the figures). Never
asserts on time. Processes, vhost and database (unless --keep) are removed at the end, also
on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import requests
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from bench import seed
from bench.lead_intake import login, start_up
from bench.segments import DISTRICTS, FAMILY, FOCUS, FREE, LAYOUTS, PAYMENT, PURPOSES, STAGES
from cli.web_build import ensure_built
from kit import clock
from kit.crypto import Vault
from services.customers.project_setup import STANDARD, score_of

PAGE_SIZE = 50                   # TeamCustomersPage's
GRADES = (("A", 10), ("B", 25), ("C", 35), ("D", 15), (None, 15))
GIVEN = "建华丽娟志强秀英海燕桂兰晓明文静国庆玉梅子涵浩然欣怡宇轩雨萱俊杰"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
CHANNELS = ("douyin", "beike", "walk_in", "referral", "agency", "website")
BATCH = 20_000
CHROMIUM = "/usr/bin/chromium"
DESK = {"width": 1440, "height": 900}
LONGTASKS = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
}).observe({type: 'longtask', buffered: true});
"""


# --------------------------------------------------------------------------- the customers

def people(team: seed.Team, rng: random.Random) -> list[tuple[uuid.UUID, float]]:
    """The consultants with uneven shares (the best has about three times the least)."""
    return [(c, 1 + 2 * rng.random()) for c in team.consultants]


def customer(rng: random.Random, owner, number: int, months: int, now) -> tuple:
    """(seed.Customer, its tags as (dimension, value), its follow-up time or None)."""
    created = now - timedelta(seconds=rng.randrange(months * 30 * 86400))
    stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
    alive = (now - created).total_seconds()
    entered = created if stage == "new" else created + timedelta(seconds=rng.random() * alive)
    followed = None
    if rng.random() < (0.45 if stage == "new" else 0.75):
        followed = created + timedelta(seconds=rng.random() * alive)
    portrait: dict = {}
    if rng.random() < 0.7:
        low = rng.randrange(80, 900) * 10_000
        portrait = {"purpose": rng.choice(PURPOSES),
                    "districts": rng.sample(DISTRICTS, rng.choice((1, 1, 2))),
                    "layouts": [rng.choice(LAYOUTS)], "budget_min": low,
                    "budget_max": low + rng.randrange(50, 300) * 10_000}
        if rng.random() < 0.4:
            portrait["area_min"] = rng.randrange(60, 160)
        if rng.random() < 0.3:
            portrait["gender"] = rng.choice(("male", "female"))
    tags = set()
    for dimension, values, chance in (("focus", FOCUS, 0.55), ("family", FAMILY, 0.45),
                                      ("payment", PAYMENT, 0.35), ("", FREE, 0.2)):
        if rng.random() < chance:
            tags.add((dimension, rng.choice(values)))
    by_dimension: dict[str, list[str]] = {}
    for dimension, value in tags:
        by_dimension.setdefault(dimension, []).append(value)
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    grade = rng.choices([g for g, _ in GRADES], weights=[w for _, w in GRADES])[0]
    score = score_of(SimpleNamespace(portrait=portrait, name=name, wechat_enc=None),
                     by_dimension, STANDARD).percent
    return seed.Customer(
        owner_id=owner, phone=f"+86138{number:08d}", created_at=created, name=name,
        stage=stage, channel=rng.choice(CHANNELS), updated_at=max(entered, followed or entered),
        stage_entered_at=entered, last_followup_at=followed, grade=grade,
        portrait=json.dumps(portrait, ensure_ascii=False), completeness=score), tags, followed


def load(engine, team: seed.Team, vault: Vault, n: int, rows: int, months: int,
         rng: random.Random) -> dict:
    """N customers of the team and rows − N of 40 other teams, in batches; what it took."""
    began = time.monotonic()
    now = clock.now()
    mine = people(team, rng)
    owners, weights = [o for o, _ in mine], [w for _, w in mine]
    others = [uuid.uuid4() for _ in range(400)]
    sample: dict = {}
    followups = tags_total = 0
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for start in range(0, rows, BATCH):
            batch, tag_rows, followed = [], [], []
            for number in range(start, min(rows, start + BATCH)):
                owner = (rng.choices(owners, weights=weights)[0] if number < n
                         else rng.choice(others))
                made, tags, at = customer(rng, owner, number, months, now)
                batch.append(made)
                tag_rows += [(made.id, d, v) for d, v in tags]
                if at is not None and number < n:
                    followed.append((made.id, made.owner_id, at))
                if number == n // 2:
                    sample = {"name": made.name, "phone": made.phone.removeprefix("+86")}
            seed.copy_customers(raw, team, vault, batch)
            with raw.cursor() as cur:
                with cur.copy("COPY customers.customer_tags (customer_id, dimension, value) "
                              "FROM STDIN") as copy:
                    for row in tag_rows:
                        copy.write_row(row)
                with cur.copy("COPY customers.followups (id, company_id, customer_id, "
                              "actor_id, type, content, at) FROM STDIN") as copy:
                    for customer_id, owner, at in followed:
                        copy.write_row((uuid.uuid4(), team.company, customer_id, owner,
                                        "call", "电话沟通，客户考虑中", at))
            raw.commit()
            followups += len(followed)
            tags_total += len(tag_rows)
            if rows > BATCH:
                print(f"  loaded {min(rows, start + BATCH):,} / {rows:,}", file=sys.stderr)
    seed.vacuum(engine, ("leads.customer_keys", "customers.customers",
                         "customers.customer_tags", "customers.followups"))
    seconds = time.monotonic() - began
    return {"seconds": round(seconds, 1), "customers_per_s": round(rows / seconds),
            "tags": tags_total, "followups": followups, "sample": sample}


# --------------------------------------------------------------------------- the suite

def start_suite(stack: contextlib.ExitStack, settings, database: str) -> str:
    """`keyuan up --no-demo` on the bench's database and vhost, with the keys the customers
    were sealed with (KEYUAN_ENV=test, as the e2e suite runs; its secrets file in /tmp)."""
    secrets = stack.enter_context(tempfile.TemporaryDirectory(prefix="keyuan-bench-"))
    env = {"KEYUAN_ENV": "test", "KEYUAN_SECRETS_FILE": os.path.join(secrets, "secrets.env"),
           "KEYUAN_SECRET_KEY": settings.secret_key, "KEYUAN_DATA_KEY": settings.data_key,
           "KEYUAN_INDEX_KEY": settings.index_key}
    return start_up(stack, database, database.replace("keyuan_bench_", "keyuan-bench-"),
                    timeout=240.0, env=env, args=("--no-demo",))


# --------------------------------------------------------------------------- API figures

def rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)


def queries(team: seed.Team, sample: dict, n: int) -> dict[str, dict]:
    deep = min(150, max(1, math.ceil(n / PAGE_SIZE)))
    return {
        "first_page": {},
        f"page_{deep}": {"page": deep},
        "stage_visited": {"stage": "visited"},
        "grade_A": {"grade": "A"},
        "owner": {"owner_id": str(team.consultants[0])},
        "tag_focus_学区": {"tag": "focus:学区"},
        "silent_7_days": {"silent_days": 7},
        "completeness_below_60": {"completeness_below": 60},
        "q_name": {"q": sample["name"]},
        "q_phone": {"q": sample["phone"]},
    }


def api_figures(url: str, token: str, asked: dict[str, dict], repeat: int) -> dict:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    figures = {}
    for name, extra in asked.items():
        params = {"page": 1, "page_size": PAGE_SIZE, **extra}
        times = []
        for attempt in range(repeat + 3):
            began = time.perf_counter()
            answer = http.get(f"{url}/api/customers", params=params, timeout=60)
            spent = (time.perf_counter() - began) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"GET /api/customers {params}: {answer.status_code} "
                                 f"{answer.text[:300]}")
            if attempt >= 3:
                times.append(spent)
        body = answer.json()
        figures[name] = {"p50_ms": rank(times, 50), "p95_ms": rank(times, 95),
                         "max_ms": round(max(times), 1), "total": body["total"],
                         "items": len(body["items"]), "bytes": len(answer.content)}
        print(f"  {name}: {figures[name]}", file=sys.stderr)
    return figures


# --------------------------------------------------------------------------- browser figures

ROWS = "[data-test=team-customers] tbody tr"

# Each step's end is found inside the page: the condition checked on every animation frame,
# resolving with performance.now() when it first holds.
# null after 60 s.
def until(condition: str) -> str:
    return f"""async () => {{
  const check = {condition};
  const began = performance.now();
  for (;;) {{
    if (check()) return performance.now();
    if (performance.now() - began > 60000) return null;
    await new Promise((r) => requestAnimationFrame(r));
  }}
}}"""


def ended(page, name: str, condition: str) -> float:
    at = page.evaluate(until(condition))
    if at is None:
        raise SystemExit(f"the page did not get to the end of {name} within 60 s")
    return at


FIRST_ROWS = f"() => document.querySelectorAll('{ROWS}').length >= 1"
STEPS = {
    "filter_grade_ms": ("""() => { const s = document.getElementById('tc-grade');
        s.value = 'A'; s.dispatchEvent(new Event('change', {bubbles: true})); }""",
                        f"""() => {{ const t = document.querySelector('[data-test=team-customers]');
        const g = [...document.querySelectorAll('{ROWS} [data-test=grade]')];
        return t && t.getAttribute('aria-busy') === 'false' && g.length > 0
          && g.every((c) => c.textContent.trim() === 'A'); }}"""),
    "next_page_ms": ("""() => { window.__first = document.querySelector('[data-customer]')
          .dataset.customer;
        [...document.querySelectorAll('.ky-pager button')].find((b) =>
          b.textContent.includes('下一页')).click(); }""",
                     """() => { const r = document.querySelector('[data-customer]');
        const t = document.querySelector('[data-test=team-customers]');
        return r && r.dataset.customer !== window.__first
          && t.getAttribute('aria-busy') === 'false'
          && document.querySelector('.ky-pager').textContent.includes('第 2 /'); }"""),
    "select_all_open_dialog_ms": ("""async () => {
        document.querySelector('[aria-label="选择本页全部客户"]').click();
        for (;;) {
          const b = [...document.querySelectorAll('.ky-selection button')].find((x) =>
            x.textContent.includes('批量转移'));
          if (b) { b.click(); return; }
          await new Promise((r) => requestAnimationFrame(r));
        } }""",
                                  """() => { const d = document.querySelector('[role=dialog]');
        return d && d.textContent.includes('批量转移') && !!document.getElementById(
          'reassign-reason'); }"""),
}


# Where the first rows' time went: the document, the app's scripts, the list's request.
OPENING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const list = performance.getEntriesByType('resource').find((e) =>
    e.name.includes('/api/customers?'));
  const js = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js'));
  const r = (x) => Math.round(x * 10) / 10;
  const api = Object.fromEntries(performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/api/'))
    .map((e) => [new URL(e.name).pathname,
                 [r(e.startTime), r(e.responseStart), r(e.responseEnd)]]));
  return {dom_content_loaded_ms: r(nav.domContentLoadedEventEnd),
          scripts: js.length, last_script_loaded_ms: r(Math.max(...js.map((e) => e.responseEnd))),
          list_requested_ms: r(list.startTime), list_first_byte_ms: r(list.responseStart),
          list_answered_ms: r(list.responseEnd), api};
}"""


def browser_run(browser, url: str, username: str) -> dict:
    context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  device_scale_factor=1)
    try:
        signed = context.request.post(f"{url}/api/web/session",
                                      data={"username": username,
                                            "password": seed.BENCH_PASSWORD})
        if not signed.ok:
            raise SystemExit(f"web sign-in as {username}: {signed.status} {signed.text()}")
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.add_init_script(LONGTASKS)
        asked: list[dict] = []
        page.on("requestfinished", lambda r: asked.append(r) if "/api/" in r.url else None)
        page.goto(f"{url}/desk/customers", wait_until="commit")
        windows = {"first_rows_ms": (0.0, ended(page, "first_rows_ms", FIRST_ROWS))}
        page.wait_for_load_state("networkidle")
        opened = page.evaluate(OPENING)
        opening = [{"path": r.url.split(url, 1)[1], "bytes": (r.sizes() or {}).get(
            "responseBodySize")} for r in asked]
        for name, (act, done) in STEPS.items():
            started = page.evaluate("() => performance.now()")
            page.evaluate(act)
            windows[name] = (started, ended(page, name, done))
        page.wait_for_timeout(200)      # a long task ending last is reported after it
        tasks = page.evaluate("() => window.__longtasks")
        figures = {name: round(end - began, 1) for name, (began, end) in windows.items()}
        figures["rows_shown"] = page.locator(ROWS).count()
        long = {}
        for name, (began, end) in windows.items():
            inside = [d for s, d in tasks if s < end and s + d > began]
            long[name] = {"count": len(inside), "total_ms": round(sum(inside), 1)}
        long["all"] = {"count": len(tasks), "total_ms": round(sum(d for _, d in tasks), 1),
                       "longest_ms": round(max((d for _, d in tasks), default=0), 1)}
        figures["long_tasks"] = long
        figures["api_requests"] = opening
        figures["opening"] = opened
        return figures
    finally:
        context.close()


def browser_figures(url: str, username: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        try:
            for number in range(runs):
                results.append(browser_run(browser, url, username))
                shown = {k: v for k, v in results[-1].items() if k.endswith("_ms")}
                print(f"  browser run {number + 1}: {shown}", file=sys.stderr)
        finally:
            browser.close()
    timed = [k for k in results[0] if k.endswith("_ms")]
    median = {k: round(statistics.median(r[k] for r in results), 1) for k in timed}
    steps = [*timed, "all"]
    long = {k: {"count": statistics.median(r["long_tasks"][k]["count"] for r in results),
                "total_ms": round(statistics.median(r["long_tasks"][k]["total_ms"]
                                                    for r in results), 1)}
            for k in steps}
    opening = {k: round(statistics.median(r["opening"][k] for r in results), 1)
               for k in results[0]["opening"] if k != "api"}
    opening["api_first_run"] = results[0]["opening"]["api"]
    return {"runs": len(results), "median": median, "opening_median": opening,
            "long_tasks_median": long,
            "longest_task_ms": max(r["long_tasks"]["all"]["longest_ms"] for r in results),
            "rows_shown": results[0]["rows_shown"],
            "api_requests_on_opening": results[0]["api_requests"],
            "each_run": [{k: r[k] for k in timed} for r in results]}


# --------------------------------------------------------------------------- command line

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_customers",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="the team's customers")
    parser.add_argument("--rows", type=int, help="customers in the table in all (default N)")
    parser.add_argument("--consultants", type=int, default=5)
    parser.add_argument("--months", type=int, default=18, help="customers arrived over")
    parser.add_argument("--requests", type=int, default=30, help="measured per query")
    parser.add_argument("--browser-runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--keep", action="store_true",
                        help="keep the database afterwards (to study plans); drop it yourself")
    args = parser.parse_args(argv)
    args.rows = args.rows or args.n
    if args.n < 1000 or args.rows < args.n or args.consultants < 1:   # two pages of grade A
        parser.error("-n at least 1000, --rows at least -n, a consultant or more")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)    # clean up as on Ctrl-C
    ensure_built()
    rng = random.Random(args.seed)
    with contextlib.ExitStack() as stack:
        settings, database = stack.enter_context(seed.fresh_database(args.keep))
        engine = create_engine(settings.database_url, poolclass=NullPool)
        stack.callback(engine.dispose)
        team = seed.Team(engine, args.consultants)
        loaded = load(engine, team, Vault.from_settings(settings), args.n, args.rows,
                      args.months, rng)
        print(f"loaded {args.rows:,} customers ({loaded['customers_per_s']:,} /s)",
              file=sys.stderr)
        url = start_suite(stack, settings, database)
        seed.wait_for_copies(engine, team, timeout=120.0, schemas=("leads", "customers"))
        username = team.usernames[team.manager]
        load_before = load_average()
        api = api_figures(url, login(url, username, seed.BENCH_PASSWORD),
                          queries(team, loaded["sample"], args.n), args.requests)
        load_api = load_average()
        browser = None if args.no_browser else browser_figures(url, username,
                                                               args.browser_runs)
        figures = {"n": args.n, "rows": args.rows, "consultants": args.consultants,
                   "page_size": PAGE_SIZE, "cpus": os.cpu_count(),
                   "load_average": {"before_api": load_before, "after_api": load_api,
                                    "after_browser": load_average()},
                   "load": {k: v for k, v in loaded.items() if k != "sample"},
                   "api_ms": api, "browser": browser}
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
