"""Offboarding a consultant who owns many customers (离职交接): how long until every one of
them has its new owner everywhere.

    python -m bench.offboard                  # 10,000 customers, round-robin over 5
    python -m bench.offboard -n 2000 --mode pool

Makes a fresh database `keyuan_bench_<hex>` and vhost `keyuan-bench-<hex>` (migrated), and
in it, through the directory's own commands, a company with one project and one team: its
manager, the leaver and --colleagues consultants. Loads N customers of the leaver with COPY
into the leads service's customer index (leads.customer_keys), the customers service's
profiles (real vault-sealed phones) and the tasks service's open tasks (one first-contact
task each, due in a day) and activity rows. Starts the directory, leads, customers and tasks
services as real processes (`python -m cli.main service <name>`, logs in
/tmp/keyuan_bench_<hex>-<service>.log), waits until the directory's facts reached every read
copy, then, as the team's manager, calls the directory's `offboard` RPC with the plan and
watches (every 0.2 s) until it is all done.

Prints one JSON object; times are seconds from the offboard call going out:

  n, colleagues, mode, cpus      what was asked for, and the machine
  offboard_rpc_ms                the offboard call itself (record, deactivate, announce)
  planned_s                      the leads service had planned every customer
  leads_done_s                   ... had moved every one and closed the handover
  directory_done_s               `offboarding` first answered done (the progress came back)
  customers_followed_s           no profile is the leaver's any more (customers service)
  history_written_s              every profile's history says why it moved
  tasks_followed_s               no open task is the leaver's any more (tasks service)
  all_done_s                     the last of these
  customers_per_s                n / leads_done_s (ownership moved) and n / all_done_s
  reports                        handover.progress reports the leads service published
  per_owner                      customers each colleague received
  cpu_s, cpu_ms_per_customer     CPU time each service process used meanwhile (/proc)

Never asserts on time; exits 1 when it did not finish within --timeout. Processes, vhost
and database are removed at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench import seed
from bench.campaign_delivery import call_when_ready
from bench.lead_intake import (
    REPO,
    free_port,
    stop,
    suite_env,
    wait_healthy,
)
from bench.seed import scalar
from cli.supervisor import _die_with_parent
from kit import clock
from kit.crypto import Vault
from kit.rpc_client import RpcClient
from kit.settings import SERVICES

STARTED = ("directory", "leads", "customers", "tasks")


class Team(seed.Team):
    """The team of bench.seed: its first consultant leaves, the others stay."""

    def __init__(self, engine, colleagues: int):
        super().__init__(engine, colleagues + 1)
        self.leaver, self.colleagues = self.consultants[0], self.consultants[1:]


def load(engine, team: Team, vault: Vault, n: int) -> float:
    """N customers of the leaver in leads, customers and tasks, by COPY; customers/s."""
    began = time.monotonic()
    now = clock.now()
    due = now + timedelta(days=1)
    customers = [seed.Customer(owner_id=team.leaver, phone=f"+86139{i:08d}", created_at=now)
                 for i in range(n)]
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        seed.copy_customers(raw, team, vault, customers)
        rows = [(c.id,) for c in customers]
        with raw.cursor() as cur:
            with cur.copy("COPY tasks.tasks (id, company_id, project_id, customer_id, "
                          "owner_id, kind, title, status, due_at, created_at, "
                          "source_event_id, stage, evidence, next_alert_at) FROM STDIN"
                          ) as copy:
                for (customer_id,) in rows:
                    copy.write_row((uuid.uuid4(), team.company, team.project, customer_id,
                                    team.leaver, "first_contact", "首次联系客户（15分钟内）",
                                    "open", due, now, uuid.uuid4(), "new", "followup", due))
            with cur.copy("COPY tasks.customer_activity (customer_id, company_id, "
                          "project_id, owner_id, stage, last_activity_at, last_progress_at) "
                          "FROM STDIN") as copy:
                for (customer_id,) in rows:
                    copy.write_row((customer_id, team.company, team.project, team.leaver,
                                    "new", now, now))
        raw.commit()
    seed.vacuum(engine, ("leads.customer_keys", "customers.customers", "tasks.tasks",
                         "tasks.customer_activity"))
    return round(n / (time.monotonic() - began), 1)


def start_services(stack: contextlib.ExitStack, database: str, timeout: float) -> dict:
    env = suite_env(database, database.replace("keyuan_bench_", "keyuan-bench-"), free_port())
    env["KEYUAN_ENV"] = "test"
    base = int(env["KEYUAN_METRICS_PORT_BASE"])
    running = {}
    for name in STARTED:
        log = stack.enter_context(tempfile.NamedTemporaryFile(  # noqa: SIM115 (the stack closes it)
            prefix=f"{database}-{name}-", suffix=".log", delete=False))
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "service", name], cwd=REPO, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
        stack.callback(stop, process)
        running[name] = (process, log)
    for name, (process, log) in running.items():
        wait_healthy(f"http://127.0.0.1:{base + SERVICES.index(name)}", process, log, timeout)
        print(f"{name} is up (log {log.name})", file=sys.stderr)
    return {name: process.pid for name, (process, _) in running.items()}


def cpu_seconds(pids: dict) -> dict:
    """CPU time (user + system) each service process used so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pid in pids.items():
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        used[name] = (int(fields[11]) + int(fields[12])) / tick
    return used


def run(rpc: RpcClient, engine, team: Team, token: str, plan: dict, n: int,
        timeout: float, pids: dict) -> dict:
    leaver = str(team.leaver)
    cpu_before = cpu_seconds(pids)
    began = time.time()
    call_when_ready(rpc, "directory", "offboard", token, leaver, plan)
    rpc_ms = round((time.time() - began) * 1000, 1)
    seen: dict[str, float] = {}
    checks = {
        "planned_s": lambda: scalar(engine, "SELECT count(*) FROM leads.handover_items i "
                                    "JOIN leads.handovers h ON h.id = i.handover_id "
                                    "WHERE h.user_id = :u", u=team.leaver) >= n,
        "leads_done_s": lambda: scalar(engine, "SELECT count(*) FROM leads.handovers WHERE "
                                       "user_id = :u AND status = 'done'", u=team.leaver),
        "directory_done_s": lambda: rpc.call("directory", "offboarding", token,
                                             leaver)["done"],
        "customers_followed_s": lambda: scalar(
            engine, "SELECT count(*) FROM customers.customers WHERE owner_id = :u",
            u=team.leaver) == 0,
        "history_written_s": lambda: scalar(
            engine, "SELECT count(*) FROM customers.history WHERE company_id = :c",
            c=team.company) >= n,
        "tasks_followed_s": lambda: scalar(
            engine, "SELECT count(*) FROM tasks.tasks WHERE owner_id = :u AND "
            "status = 'open'", u=team.leaver) == 0,
    }
    deadline = time.monotonic() + timeout
    while len(seen) < len(checks) and time.monotonic() < deadline:
        for name, check in checks.items():
            if name not in seen and check():
                seen[name] = round(time.time() - began, 2)
                print(f"  {name}: {seen[name]} s", file=sys.stderr)
        time.sleep(0.2)
    with engine.connect() as conn:
        per_owner = dict(conn.execute(text(
            "SELECT owner_id::text, count(*) FROM leads.customer_keys WHERE company_id = :c "
            "GROUP BY owner_id"), {"c": team.company}).all())
        reports = conn.execute(text("SELECT count(*) FROM leads.outbox WHERE event_type = "
                                    "'handover.progress'")).scalar()
    cpu = {name: round(used - cpu_before[name], 2) for name, used in cpu_seconds(pids).items()}
    finished = len(seen) == len(checks)
    all_done = max(seen.values()) if finished else None
    return {"offboard_rpc_ms": rpc_ms, **{k: seen.get(k) for k in checks},
            "all_done_s": all_done, "finished": finished,
            "customers_per_s": {
                "ownership": round(n / seen["leads_done_s"], 1)
                if "leads_done_s" in seen else None,
                "everywhere": round(n / all_done, 1) if all_done else None},
            "reports": reports, "per_owner": per_owner, "cpu_s": cpu,
            "cpu_ms_per_customer": {name: round(used * 1000 / n, 2)
                                    for name, used in cpu.items()}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.offboard",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="customers of the leaver")
    parser.add_argument("--colleagues", type=int, default=5, help="consultants who stay")
    parser.add_argument("--mode", choices=("round_robin", "colleague", "pool"),
                        default="round_robin")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    if args.n < 1 or args.colleagues < 1:
        parser.error("-n and --colleagues must be at least 1")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)    # clean up as on Ctrl-C
    with contextlib.ExitStack() as stack:
        settings, database = stack.enter_context(seed.fresh_database())
        engine = create_engine(settings.database_url, poolclass=NullPool)
        stack.callback(engine.dispose)
        team = Team(engine, args.colleagues)
        loaded = load(engine, team, Vault.from_settings(settings), args.n)
        print(f"loaded {args.n:,} customers ({loaded:,} /s)", file=sys.stderr)
        pids = start_services(stack, database, timeout=120.0)
        seed.wait_for_copies(engine, team, timeout=120.0)
        rpc = RpcClient(settings.amqp_uri, pool_size=2, timeout=30.0)
        stack.callback(rpc.close)
        plan = {"mode": args.mode}
        if args.mode == "colleague":
            plan["to_user_id"] = str(team.colleagues[0])
        figures = run(rpc, engine, team, team.manager_token(engine, settings), plan, args.n,
                      args.timeout, pids)
    print(json.dumps({"n": args.n, "colleagues": args.colleagues, "mode": args.mode,
                      "cpus": os.cpu_count(), "load_customers_per_s": loaded, **figures},
                     ensure_ascii=False, indent=1))
    return 0 if figures["finished"] else 1


if __name__ == "__main__":
    sys.exit(main())
