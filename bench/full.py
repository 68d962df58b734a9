"""`make bench`: the suite's figures and the raw limits beside them, in one run.

    python -m bench.full                     # clients 1,4,16,64; 400 leads each; 100,000 rows
    python -m bench.full --quick             # a smoke run: small counts
    python -m bench.full --clients 1,8 -n 200 --skip-import

It makes a fresh database `keyuan_bench_<hex>` and RabbitMQ vhost `keyuan-bench-<hex>`,
starts the whole suite on them with `keyuan up --no-web` (demo data, free ports, a secrets
file of its own in a temporary folder), and measures, on that suite (in the order 2, 1,
3: the CPU figure on the suite before the concurrency levels have loaded it):

1. throughput: for each --clients level, -n leads (at least one per client) posted to
   POST /api/leads from that many threads (bench.lead_intake.run); a lead is complete
   when the owner's first-contact task is in tasks.tasks, which the bench reads itself
   (bench.lead_intake.DbTaskWatcher: one indexed query every 20 ms on its own
   connection, not a gateway request per look). accepted/s (201s over the posting time),
   completed/s (tasks over the time until the last task was seen), p50/p99 of the POST
   and of POST -> the task's created_at, errors.
2. CPU per lead: -n leads from 4 plain clients, CPU time of every process from /proc
   (utime + stime) before the first POST and 1 s after the last task exists, divided by
   the leads created, as /work/shared/tools/cpu_per_lead.py does. The suite's processes
   are those of `keyuan up`'s process group (services by name, gunicorn master and workers
   as gateway, the supervisor); PostgreSQL's backends connected to the bench's database
   (the watcher's own backend left out) as postgres, PostgreSQL's shared processes
   (checkpointer, WAL writer, autovacuum ...) as postgres_aux; RabbitMQ's beam.smp whole.
   postgres_aux and rabbitmq serve everyone on the machine: on a shared machine they carry
   other people's work too.
3. raw limits, in the same run, on the same broker and database: a Nameko service with one
   @rpc echo (bench/echo_service.py) called through kit.rpc_client.RpcClient from 4
   threads; a persistent publish + consume + ack round trip on a durable queue (pika, one
   message at a time, publisher confirms); a single-row INSERT + COMMIT on one connection.
   Each with ops/s and CPU ms per op of the processes involved (the service, RabbitMQ, the
   PostgreSQL backend, the bench's own process as "client").
4. after the suite is stopped and its database and vhost dropped: the CSV import rate
   (bench.import_leads.bench, its own fresh database; --import-rows, --skip-import).

Prints a table, writes bench/results/bench-<UTC time>.json and .png (and latest.json,
latest.png). The ratios section sets the lead beside the raw limits, e.g. a lead's CPU in
bare echo RPCs. No figure is ever asserted; exit 1 when a lead failed or its task never
came.
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
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from bench import lead_intake
from bench.lead_intake import (
    AMQP_SERVER,
    PG_SERVER,
    REPO,
    DbTaskWatcher,
)

RESULTS = REPO / "bench" / "results"
CPU_CLIENTS = 4
TICK = os.sysconf("SC_CLK_TCK")
SERVICES = ("leads", "customers", "tasks", "analytics", "directory", "service_desk")


# ---------------------------------------------------------------- CPU from /proc

def _read_proc(pid: str) -> tuple[str, list[str]] | None:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return cmd, stat


def classify(cmd: str, session: int | None, pid_session: int, database: str | None) -> str | None:
    """Which figure a process's CPU belongs to, or None when it is not ours to count."""
    if session is not None and pid_session == session:
        words = cmd.split()
        if "service" in words and words.index("service") + 1 < len(words):
            return words[words.index("service") + 1]
        if "gateway" in words or "gunicorn" in cmd:
            return "gateway"
        return "supervisor"
    if "beam.smp" in cmd:
        return "rabbitmq"
    if cmd.startswith("postgres: "):
        words = cmd.split()[1:]
        if words and words[0].endswith(":"):      # Debian's cluster name, "15/main:"
            words = words[1:]
        # a backend: "<user> <database> <host>(<port>)|[local] <state>"
        is_backend = len(words) >= 3 and ("(" in words[2] or words[2] == "[local]")
        if not is_backend:
            return "postgres_aux"
        return "postgres" if database is not None and words[1] == database else None
    return None


def cpu_snapshot(session: int | None = None, database: str | None = None,
                 exclude: set[int] = frozenset(),
                 extra: dict[int, str] | None = None) -> dict[int, tuple[str, float]]:
    """{pid: (figure, CPU seconds)} of the processes counted (see classify); `extra` names
    pids to count under a name of their own (a bench-started service), `exclude` leaves
    pids out (the bench's own database connections)."""
    found: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in exclude:
            continue
        read = _read_proc(entry)
        if read is None:
            continue
        cmd, stat = read
        pid = int(entry)
        name = (extra or {}).get(pid) or classify(cmd, session, int(stat[3]), database)
        if name is not None:
            found[pid] = (name, (int(stat[11]) + int(stat[12])) / TICK)
    found[os.getpid()] = ("client", sum(os.times()[:2]))
    return found


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per figure between two snapshots (a process born between them counts
    from zero; one that died between them is lost)."""
    total: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        earlier = before.get(pid)
        spent = seconds - (earlier[1] if earlier and earlier[0] == name else 0.0)
        total[name] = total.get(name, 0.0) + max(spent, 0.0)
    return total


def per_op_ms(spent: dict[str, float], ops: int) -> dict[str, float]:
    """CPU ms per operation for each figure, largest first."""
    ops = max(ops, 1)
    return {name: round(seconds * 1000 / ops, 3)
            for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])}


# ---------------------------------------------------------------- the suite's figures

class Suite:
    def __init__(self, url: str, process: subprocess.Popen, database: str, vhost: str):
        self.url, self.process, self.database, self.vhost = url, process, database, vhost
        self.database_url = f"{PG_SERVER}/{database}"
        self.amqp_uri = f"{AMQP_SERVER}/{quote(vhost, safe='')}"


@contextlib.contextmanager
def fresh_suite(timeout: float = 240.0, attempts: int = 3):
    """The suite on a fresh database and vhost, all removed afterwards. A start that fails
    (a port taken meanwhile by someone else on a shared machine) is tried again on a
    database, vhost and ports of its own."""
    with contextlib.ExitStack() as stack:
        for attempt in range(1, attempts + 1):
            try:
                suite = stack.enter_context(_start_fresh(timeout))
                break
            except SystemExit as exc:
                if attempt == attempts:
                    raise
                print(f"the suite did not start ({str(exc).splitlines()[0]}); "
                      "again on fresh ports", file=sys.stderr)
        yield suite
        print("stopping the suite, dropping its database and vhost", file=sys.stderr)


@contextlib.contextmanager
def _start_fresh(timeout: float):
    run_id = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_bench_{run_id}", f"keyuan-bench-{run_id}"
    with contextlib.ExitStack() as stack:
        lead_intake.create_database(database)
        stack.callback(lead_intake.drop_database, database)
        lead_intake.create_vhost(vhost)
        stack.callback(lead_intake.delete_vhost, vhost)
        secrets = stack.enter_context(tempfile.TemporaryDirectory(prefix="keyuan-bench-"))
        url, process = lead_intake.start_up_process(
            stack, database, vhost, timeout, args=("--no-web",), settled=True,
            env={"KEYUAN_SECRETS_FILE": str(Path(secrets) / "secrets.env")})
        yield Suite(url, process, database, vhost)


def throughput(suite: Suite, token: str, project_id: str, clients: int, n: int,
               timeout: float) -> dict:
    watcher = DbTaskWatcher(suite.database_url, timeout)
    figures = lead_intake.run(suite.url, token, project_id, n, clients, timeout, watcher)
    return level_row(figures)


def level_row(figures: dict) -> dict:
    """One --clients level's figures as the table, JSON and plot show them."""
    return {
        "clients": figures["concurrency"], "n": figures["n"], "created": figures["created"],
        "pooled": figures["pooled"], "duplicates": figures["duplicates"],
        "errors": figures["errors"], "error_kinds": figures["error_kinds"],
        "completed": figures["completed"], "timed_out": figures["timed_out"],
        "accepted_per_s": figures["accepted_per_s"],
        "completed_per_s": figures["completed_per_s"],
        "post_ms": figures["accept_latency_ms"],
        "post_to_task_ms": figures["server_task_latency_ms"],
        "post_to_task_seen_ms": figures["end_to_end_latency_ms"],
    }


def traffic_snapshot(database_url: str) -> dict[str, dict[str, int]]:
    """Each service's outbox rows (events it published), inbox rows (events it applied) and
    the database's committed transactions so far."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            counts = {"published": {}, "consumed": {}, "commits": {}}
            for service in SERVICES:
                for kind, table in (("published", "outbox"), ("consumed", "inbox")):
                    counts[kind][service] = conn.execute(
                        text(f'SELECT count(*) FROM "{service}".{table}')).scalar_one()
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
            counts["commits"]["database"] = conn.execute(text(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )).scalar_one()
            return counts
    finally:
        engine.dispose()


def traffic_per_lead(before: dict, after: dict, leads: int) -> dict[str, dict[str, float]]:
    """Events published and applied per lead by service, and transactions per lead."""
    return {kind: {name: round((after[kind][name] - before[kind][name]) / max(leads, 1), 2)
                   for name in after[kind] if after[kind][name] != before[kind][name]}
            for kind in after}


def cpu_per_lead(suite: Suite, token: str, project_id: str, n: int, timeout: float) -> dict:
    watcher = DbTaskWatcher(suite.database_url, timeout)
    session = os.getsid(suite.process.pid)
    exclude = {watcher.backend_pid}
    traffic_before = traffic_snapshot(suite.database_url)
    before = cpu_snapshot(session, suite.database, exclude)
    began = time.perf_counter()
    figures = lead_intake.run(suite.url, token, project_id, n, CPU_CLIENTS, timeout, watcher)
    time.sleep(1.0)   # the last events' acks and the relays' marks, as cpu_per_lead.py waits
    after = cpu_snapshot(session, suite.database, exclude)
    traffic = traffic_per_lead(traffic_before, traffic_snapshot(suite.database_url),
                               figures["created"])
    spent = cpu_delta(before, after)
    spent.pop("client", None)   # the bench's own threads are not the suite's cost
    per = per_op_ms(spent, figures["created"])
    return {"leads": figures["created"], "clients": CPU_CLIENTS,
            "errors": figures["errors"], "timed_out": figures["timed_out"],
            "seconds": round(time.perf_counter() - began, 2),
            "completed_per_s": figures["completed_per_s"],
            "cpu_ms_per_lead": {k: round(v, 1) for k, v in per.items()},
            "total_ms": round(sum(per.values()), 1),
            # commits include the bench's own task watcher (a poll every 20 ms).
            "per_lead": traffic}


# ---------------------------------------------------------------- raw limits

def timed(ops: int, threads: int, one: Callable[[], None],
          snapshot: Callable[[], dict]) -> dict:
    """`ops` calls of `one` spread over `threads` threads: ops/s and CPU ms per op."""
    errors = [0]
    lock = threading.Lock()

    def worker(k: int) -> None:
        for _ in range(k, ops, threads):
            try:
                one()
            except Exception:  # counted, not fatal: a figure, not a test
                with lock:
                    errors[0] += 1

    before, began = snapshot(), time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - began
    per = per_op_ms(cpu_delta(before, snapshot()), ops)
    return {"ops": ops, "threads": threads, "errors": errors[0], "seconds": round(seconds, 3),
            "per_s": round(ops / seconds, 1), "cpu_ms_per_op": per,
            "cpu_ms_per_op_total": round(sum(per.values()), 3)}


def only(names: set[str], snapshot: Callable[[], dict]) -> Callable[[], dict]:
    def taken() -> dict:
        return {pid: v for pid, v in snapshot().items() if v[0] in names}
    return taken


def echo_rpc(suite: Suite, ops: int, threads: int = 4) -> dict:
    from kit.rpc_client import RpcClient

    nameko = Path(sys.executable).with_name("nameko")
    with tempfile.NamedTemporaryFile("wb", prefix=f"{suite.database}-echo-", suffix=".log",
                                     delete=False) as log:
        process = subprocess.Popen(
            [str(nameko), "run", "bench.echo_service:Echo", "--broker", suite.amqp_uri],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    client = RpcClient(suite.amqp_uri, pool_size=threads, timeout=10.0)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.call("bench_echo", "echo", "ready", timeout=2.0)
                break
            except Exception:  # not up yet: asked again
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the echo service did not answer (log {log.name})") from None
                time.sleep(0.5)
        for _ in range(50):   # warm every pooled connection
            client.call("bench_echo", "echo", "warm")
        payload = {"value": "x" * 64}
        snap = only({"echo_service", "rabbitmq", "client"},
                    lambda: cpu_snapshot(extra={process.pid: "echo_service"}))
        return timed(ops, threads, lambda: client.call("bench_echo", "echo", payload), snap)
    finally:
        client.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def rabbit_round_trip(suite: Suite, ops: int) -> dict:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(suite.amqp_uri))
    channel = connection.channel()
    queue = f"bench-roundtrip-{uuid.uuid4().hex[:8]}"
    channel.queue_declare(queue, durable=True)
    channel.confirm_delivery()
    messages = channel.consume(queue, inactivity_timeout=10)
    properties = pika.BasicProperties(delivery_mode=2)
    body = b"x" * 256

    def one() -> None:
        channel.basic_publish("", queue, body, properties)   # returns once confirmed
        method, _, _ = next(messages)
        if method is None:
            raise TimeoutError("the message did not come back")
        channel.basic_ack(method.delivery_tag)

    try:
        for _ in range(20):
            one()
        return timed(ops, 1, one, only({"rabbitmq", "client"}, cpu_snapshot))
    finally:
        with contextlib.suppress(Exception):
            channel.cancel()
            channel.queue_delete(queue)
            connection.close()


def pg_insert(suite: Suite, ops: int) -> dict:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(suite.database_url, poolclass=NullPool)
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        conn.execute(text("CREATE TABLE public.bench_rows (id uuid PRIMARY KEY, "
                          "created_at timestamptz NOT NULL DEFAULT now(), body text)"))
        conn.commit()
        statement = text("INSERT INTO public.bench_rows (id, body) VALUES (:id, :body)")

        def one() -> None:
            conn.execute(statement, {"id": uuid.uuid4(), "body": "x" * 64})
            conn.commit()

        for _ in range(20):
            one()
        snap = only({"postgres_backend", "client"},
                    lambda: cpu_snapshot(extra={backend: "postgres_backend"}))
        result = timed(ops, 1, one, snap)
        conn.execute(text("DROP TABLE public.bench_rows"))
        conn.commit()
    engine.dispose()
    return result


# ---------------------------------------------------------------- putting it together

def ratios(report: dict) -> dict:
    """The lead beside the raw limits (None where a figure is missing)."""
    cost = report.get("cpu_per_lead") or {}
    per_lead = cost.get("cpu_ms_per_lead") or {}
    raw = report.get("raw") or {}
    echo, rabbit, pg = raw.get("echo_rpc"), raw.get("rabbit_round_trip"), raw.get("pg_insert")
    levels = report.get("throughput") or []
    best = max((row["completed_per_s"] or 0 for row in levels), default=0) or None

    def div(a, b, digits=1):
        return round(a / b, digits) if a is not None and b else None

    return {
        "lead_cpu_in_bare_rpcs": div(cost.get("total_ms"),
                                     echo and echo["cpu_ms_per_op_total"]),
        "lead_rabbitmq_cpu_in_bare_round_trips": div(
            per_lead.get("rabbitmq"), rabbit and rabbit["cpu_ms_per_op"].get("rabbitmq")),
        "lead_postgres_cpu_in_bare_inserts": div(
            per_lead.get("postgres"), pg and pg["cpu_ms_per_op"].get("postgres_backend")),
        "bare_rpcs_per_s_over_leads_per_s": div(echo and echo["per_s"], best),
        "bare_inserts_per_s_over_leads_per_s": div(pg and pg["per_s"], best),
        "best_completed_per_s": best,
    }


def fmt(value, width: int = 8) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float):
        return (f"{value:.1f}" if value >= 10 else f"{value:.2f}").rjust(width)
    return str(value).rjust(width)


def table(report: dict) -> str:
    """The report as plain text."""
    out = [f"make bench  {report['started_at']}  (load average {report['load_before']} "
           f"before, {report.get('load_after')} after; {os.cpu_count()} cores)", ""]
    levels = report.get("throughput") or []
    if levels:
        out += ["leads, end to end (POST /api/leads -> the owner's first-contact task)",
                "clients  leads  accepted/s completed/s  POST p50     p99  ->task p50     p99"
                "  errors timed_out"]
        for row in levels:
            out.append(
                f"{row['clients']:>7} {row['n']:>6} {fmt(row['accepted_per_s'], 10)} "
                f"{fmt(row['completed_per_s'], 11)} {fmt(row['post_ms']['p50'], 9)} "
                f"{fmt(row['post_ms']['p99'], 7)} {fmt(row['post_to_task_ms']['p50'], 10)} "
                f"{fmt(row['post_to_task_ms']['p99'], 7)} {row['errors']:>7} "
                f"{row['timed_out']:>9}")
        out += ["(latencies in ms; ->task = POST sent to the task's created_at)", ""]
    cost = report.get("cpu_per_lead")
    if cost:
        out.append(f"CPU ms per lead ({cost['leads']} leads from {cost['clients']} clients, "
                   f"{cost['seconds']} s): total {cost['total_ms']}")
        out += [f"  {name:<14}{fmt(ms)}" for name, ms in cost["cpu_ms_per_lead"].items()]
        traffic = cost.get("per_lead") or {}
        for kind, label in (("published", "events published per lead"),
                            ("consumed", "events applied per lead"),
                            ("commits", "PostgreSQL commits per lead (incl. the watcher)")):
            if traffic.get(kind):
                out.append(f"{label}: " + ", ".join(
                    f"{name} {value:g}" for name, value in traffic[kind].items()))
        out.append("")
    raw = report.get("raw") or {}
    if raw:
        out.append("raw limits                 ops/s   CPU ms/op (by process)")
        for key, label in (("echo_rpc", "Nameko echo RPC"),
                           ("rabbit_round_trip", "RabbitMQ persist+consume"),
                           ("pg_insert", "PostgreSQL INSERT+COMMIT")):
            if key in raw:
                row = raw[key]
                parts = ", ".join(f"{k} {v:.3f}" for k, v in row["cpu_ms_per_op"].items())
                out.append(f"  {label:<24}{fmt(row['per_s'], 8)}   {parts}"
                           + (f"  ({row['errors']} errors)" if row["errors"] else ""))
        out.append("")
    if report.get("ratios"):
        out.append("ratios")
        out += [f"  {key:<40}{fmt(value)}" for key, value in report["ratios"].items()]
        out.append("")
    imp = report.get("import")
    if imp:
        out.append(f"CSV import: {imp['rows']:,} rows in {imp['seconds']} s = "
                   f"{imp['rows_per_s']:,} rows/s (parse {imp['parse_seconds']} s, store "
                   f"{imp['store_seconds']} s; {imp['created']:,} created, {imp['merged']:,} "
                   f"merged, {imp['rejected']:,} rejected)")
    return "\n".join(out)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    levels = report.get("throughput") or []
    clients = [row["clients"] for row in levels]
    ax = axes[0][0]
    if levels:
        ax.plot(clients, [row["accepted_per_s"] for row in levels], "o-", label="accepted")
        ax.plot(clients, [row["completed_per_s"] for row in levels], "s-", label="completed")
        ax.set_xscale("log", base=2)
        ax.set_xticks(clients, [str(c) for c in clients])
        ax.set_ylim(bottom=0)
        ax.legend()
    ax.set(title="leads/s", xlabel="concurrent clients")
    ax = axes[0][1]
    if levels:
        for key, label in (("post_ms", "POST"), ("post_to_task_ms", "POST→task")):
            for p, style in (("p50", "o-"), ("p99", "o--")):
                ax.plot(clients, [row[key][p] for row in levels], style, label=f"{label} {p}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(clients, [str(c) for c in clients])
        ax.legend(fontsize=8)
    ax.set(title="latency (ms)", xlabel="concurrent clients")
    ax = axes[1][0]
    cost = (report.get("cpu_per_lead") or {}).get("cpu_ms_per_lead") or {}
    ax.barh(list(cost), list(cost.values()))
    ax.invert_yaxis()
    ax.set(title=f"CPU ms per lead (total {(report.get('cpu_per_lead') or {}).get('total_ms')})")
    ax = axes[1][1]
    raw = report.get("raw") or {}
    names = {"echo_rpc": "echo RPC", "rabbit_round_trip": "RabbitMQ\nround trip",
             "pg_insert": "PG insert"}
    labels = [names[k] for k in raw] + ["lead\n(best)"]
    values = [raw[k]["per_s"] for k in raw] + [(report.get("ratios") or {}).get(
        "best_completed_per_s") or 0]
    ax.bar(labels, values)
    ax.set_yscale("log")
    ax.set(title="ops/s: raw limits and the lead")
    fig.suptitle(f"make bench {report['started_at']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(report: dict, directory: Path = RESULTS) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = report["started_at"].replace(":", "").replace("-", "")
    json_path, png_path = directory / f"bench-{stamp}.json", directory / f"bench-{stamp}.png"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    (directory / "latest.json").write_text(json_path.read_text())
    try:
        plot(report, png_path)
        (directory / "latest.png").write_bytes(png_path.read_bytes())
    except ImportError as exc:
        print(f"no plot ({exc}); `make install` brings matplotlib", file=sys.stderr)
    return json_path, png_path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.full", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: -n 20, 200 raw ops, 2,000 import rows")
    parser.add_argument("--clients", help="concurrency levels (default 1,4,16,64)")
    parser.add_argument("-n", type=int, help="leads per level and for the CPU figure "
                        "(default 400)")
    parser.add_argument("--ops", type=int, help="operations per raw limit (default 2000)")
    parser.add_argument("--import-rows", type=int, help="CSV rows to import (default 100000)")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for one lead's task")
    parser.add_argument("--project", choices=("hz", "sh"), default="hz")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in (args.clients or "1,4,16,64").split(",")]
    args.n = args.n or (20 if args.quick else 400)
    args.ops = args.ops or (200 if args.quick else 2000)
    args.import_rows = args.import_rows or (2000 if args.quick else 100_000)
    if args.n < 1 or args.ops < 1 or args.import_rows < 1 or min(args.clients) < 1:
        parser.error("counts and clients must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    from cli.demo_data import DEMO_PASSWORD, PROJECTS

    args = parse_args(argv)
    report: dict = {"started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "load_before": round(os.getloadavg()[0], 2),
                    "args": {k: v for k, v in vars(args).items()}, "throughput": []}
    project_id = str(PROJECTS[args.project][0])
    with fresh_suite() as suite:
        token = lead_intake.login(suite.url, f"mgr.{args.project}", DEMO_PASSWORD)
        report["warm_up_leads"] = lead_intake.warm_up(suite.url, token, project_id)
        print(f"CPU per lead: {args.n} leads from {CPU_CLIENTS} clients", file=sys.stderr)
        report["cpu_per_lead"] = cpu_per_lead(suite, token, project_id, args.n, args.timeout)
        for clients in args.clients:
            n = max(args.n, clients)   # every client posts at least one lead
            print(f"throughput: {n} leads from {clients} clients", file=sys.stderr)
            report["throughput"].append(
                throughput(suite, token, project_id, clients, n, args.timeout))
        print(f"raw limits: {args.ops} operations each", file=sys.stderr)
        report["raw"] = {"echo_rpc": echo_rpc(suite, args.ops),
                         "rabbit_round_trip": rabbit_round_trip(suite, args.ops),
                         "pg_insert": pg_insert(suite, args.ops)}
    report["ratios"] = ratios(report)
    if not args.skip_import:
        from bench import import_leads

        print(f"CSV import: {args.import_rows} rows", file=sys.stderr)
        report["import"] = import_leads.bench(args.import_rows, "csv", "pool", 1000,
                                              args.project)
    report["load_after"] = round(os.getloadavg()[0], 2)
    json_path, png_path = write(report)
    print(table(report))
    print(f"\nwritten: {json_path.relative_to(REPO)}, {png_path.relative_to(REPO)}")
    failed = sum(row["errors"] + row["timed_out"] for row in report["throughput"])
    failed += report["cpu_per_lead"]["errors"] + report["cpu_per_lead"]["timed_out"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
