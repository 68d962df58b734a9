"""Lead intake, end to end: how fast the suite accepts leads and turns them into tasks.

Run against a running suite (`keyuan up` with demo data):

    python -m bench.lead_intake --url http://127.0.0.1:8000 -n 500 -c 16

or let it start a suite of its own on a fresh database and RabbitMQ vhost, removed afterwards:

    python -m bench.lead_intake --start-suite -n 200 -c 8

It logs in as the project's manager (mgr.hz by default: his leads go round-robin to his
on-duty consultants, and he sees his team's tasks), posts N leads with fresh phone numbers
to POST /api/leads from C threads (one keep-alive HTTP session per thread, an Idempotency-Key
per lead). Meanwhile one watcher thread lists the manager's tasks (GET /api/tasks, 200 a
page, newest pages first, at most every 20 ms) until every created lead's first-contact task
has shown up: posting is never held up by waiting for tasks, and looking for 500 tasks costs
a few requests a sweep rather than one per lead.

It prints one JSON object:

  n, concurrency         what was asked for
  created                leads answered 201 "created" (a new customer; includes `pooled`)
  pooled                 created leads nobody was on duty for: in the pool, no task expected
  duplicates             leads answered 200 "duplicate" (the phone was already a customer)
  errors, error_kinds    anything else (status code or exception name: count)
  completed, timed_out   created leads whose task was seen / not seen within --timeout
  warm_up_leads          leads posted before the run, until one was assigned and its task
                         seen (not counted in any other figure)
  accepted_per_s         created / wall time from the first POST to the last POST answer
  completed_per_s        completed / wall time from the first POST to the last task seen
  accept_latency_ms      POST sent -> answer received (created and duplicate answers)
  end_to_end_latency_ms  POST sent -> task first seen by the watcher (includes the time
                         between two sweeps: what a client polling for it would see)
  server_task_latency_ms POST sent -> the task's own created_at (same clock: same machine);
                         free of polling delay, so the better figure for the event chain
                         leads -> customers -> tasks

Latencies are p50/p95/p99/max in milliseconds (nearest rank). Duplicates and pooled leads
are left out of the end-to-end figures. The benchmark never asserts on time; it exits 1
only when some lead failed (errors) or its task never appeared (timed_out).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from cli.demo_data import DEMO_PASSWORD, PROJECTS

POLL_INTERVAL = 0.02          # seconds: the shortest time between two looks for tasks
PAGE_SIZE = 200               # the largest page GET /api/tasks gives
HTTP_TIMEOUT = 30.0
REPO = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("KEYUAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
AMQP_SERVER = os.environ.get("KEYUAN_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")
RABBIT_API = os.environ.get("KEYUAN_TEST_RABBIT_API", "http://guest:guest@127.0.0.1:15672/api")


@dataclass
class Lead:
    index: int
    phone: str
    sent: float = 0.0                     # perf_counter() when the POST went out
    sent_wall: float = 0.0                # time.time() at the same moment
    answered: float | None = None         # perf_counter() when the answer came
    outcome: str = "pending"              # created | pooled | duplicate | error:<kind>
    customer_id: str | None = None
    task_seen: float | None = None        # perf_counter() when the watcher first saw the task
    task_created_at: float | None = None  # the task's created_at, epoch seconds


# ---------------------------------------------------------------- HTTP

_local = threading.local()


def session() -> requests.Session:
    """One keep-alive session per thread."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def login(url: str, username: str, password: str) -> str:
    answer = requests.post(f"{url}/api/auth/login",
                           json={"username": username, "password": password},
                           timeout=HTTP_TIMEOUT)
    if answer.status_code != 200:
        raise SystemExit(f"login as {username} failed: {answer.status_code} {answer.text}")
    return answer.json()["token"]


def phones(n: int) -> list[str]:
    """N distinct mobile numbers, drawn afresh each run so reruns rarely meet old customers."""
    return [f"139{tail:08d}" for tail in random.SystemRandom().sample(range(10**8), n)]


def post_lead(url: str, token: str, project_id: str, lead: Lead) -> Lead:
    body = {"name": f"压测客户{lead.index:05d}", "phone": lead.phone, "channel": "website",
            "project_id": project_id}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    lead.sent_wall, lead.sent = time.time(), time.perf_counter()
    try:
        answer = session().post(f"{url}/api/leads", json=body, headers=headers,
                                timeout=HTTP_TIMEOUT)
    except requests.RequestException as exc:
        lead.outcome = f"error:{type(exc).__name__}"
        return lead
    lead.answered = time.perf_counter()
    lead.outcome = classify(answer)
    if lead.outcome in ("created", "pooled"):
        lead.customer_id = answer.json()["customer_id"]
    return lead


def classify(answer: requests.Response) -> str:
    if answer.status_code not in (200, 201):
        return f"error:{answer.status_code}"
    status = answer.json().get("status")
    if answer.status_code == 201 and status == "created":
        return "created" if answer.json().get("owner_id") else "pooled"
    if answer.status_code == 200 and status == "duplicate":
        return "duplicate"
    return f"error:{answer.status_code}-{status}"


def list_tasks(url: str, token: str, page: int) -> dict | None:
    """One page of the tasks the token's user sees, or None when the request failed."""
    try:
        answer = session().get(f"{url}/api/tasks", params={"page": page, "page_size": PAGE_SIZE},
                               headers={"Authorization": f"Bearer {token}"},
                               timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        return None
    return answer.json() if answer.status_code == 200 else None


def find_task(url: str, token: str, customer_id: str) -> dict | None:
    """The customer's first task, or None (also when the poll itself failed)."""
    try:
        answer = session().get(f"{url}/api/tasks",
                               params={"customer_id": customer_id, "page_size": 1},
                               headers={"Authorization": f"Bearer {token}"},
                               timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        return None
    items = answer.json().get("items") if answer.status_code == 200 else None
    return items[0] if items else None


# ---------------------------------------------------------------- watching for tasks

class TaskWatcher:
    """One thread that finds the created leads' tasks by listing the poster's tasks.

    The list is ordered by due date and a first-contact task falls due a fixed time after
    its customer arrived, so this run's tasks are on the last pages: a sweep reads page 1
    (which also says how many pages there are), then walks back from the last page until a
    page holds none of this run's customers. That costs one request per 200 tasks instead
    of one per lead, and leaves the suite's CPU to the leads being measured."""

    def __init__(self, url: str, token: str, give_up_after: float):
        self.url, self.token, self.give_up_after = url, token, give_up_after
        self.waiting: dict[str, Lead] = {}
        self.ours: set[str] = set()          # this run's customers, waiting or seen
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="task-watcher")

    def start(self) -> None:
        self.thread.start()

    def add(self, lead: Lead) -> None:
        with self.lock:
            self.waiting[lead.customer_id] = lead
            self.ours.add(lead.customer_id)

    def close_and_wait(self) -> None:
        """No more leads will come: wait for the tasks still missing, then stop."""
        self.closed.set()
        self.thread.join()

    def _still_waiting(self) -> bool:
        with self.lock:
            return bool(self.waiting)

    def _run(self) -> None:
        while self._still_waiting() or not self.closed.is_set():
            began = time.perf_counter()
            if self._still_waiting():
                self._sweep()
                self._give_up()
            time.sleep(max(0.0, POLL_INTERVAL - (time.perf_counter() - began)))

    def _sweep(self) -> None:
        first = list_tasks(self.url, self.token, 1)
        if first is None:
            return
        self._match(first["items"])
        for page in range(math.ceil(first["total"] / PAGE_SIZE), 1, -1):
            answer = self._still_waiting() and list_tasks(self.url, self.token, page)
            if not answer or not self._match(answer["items"]):
                return

    def _match(self, tasks: list[dict]) -> bool:
        """Note the waiting leads' tasks among these; True if any task is this run's."""
        now = time.perf_counter()
        with self.lock:
            for task in tasks:
                lead = self.waiting.pop(task["customer_id"], None)
                if lead is not None:
                    lead.task_seen = now
                    lead.task_created_at = datetime.fromisoformat(task["created_at"]).timestamp()
            return any(task["customer_id"] in self.ours for task in tasks)

    def _give_up(self) -> None:
        now = time.perf_counter()
        with self.lock:
            for customer_id, lead in list(self.waiting.items()):
                if now - lead.sent > self.give_up_after:
                    del self.waiting[customer_id]


class DbTaskWatcher(TaskWatcher):
    """The same watcher, looking in the tasks service's own table instead of the API.

    One indexed query every POLL_INTERVAL for the customers still waiting (at most
    DB_BATCH ids at a time), on one connection of the bench's own: the suite pays a
    PostgreSQL backend's few microseconds per look, not a gateway request, an RPC and a
    token check. For runs on a database the bench can reach (`make bench`'s fresh one)."""

    DB_BATCH = 2000

    def __init__(self, database_url: str, give_up_after: float):
        super().__init__("", "", give_up_after)
        self.engine = create_engine(database_url, poolclass=NullPool)
        self.conn = self.engine.connect()
        self.backend_pid = self.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        self.conn.commit()

    def close_and_wait(self) -> None:
        super().close_and_wait()
        self.conn.close()
        self.engine.dispose()

    def _sweep(self) -> None:
        with self.lock:
            ids = list(self.waiting)[: self.DB_BATCH]
        if not ids:
            return
        try:
            rows = self.conn.execute(text(
                "SELECT customer_id::text, created_at FROM tasks.tasks "
                "WHERE kind = 'first_contact' AND customer_id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": ids}).all()
            self.conn.commit()
        except OperationalError:
            self.conn.rollback()
            return
        now = time.perf_counter()
        with self.lock:
            for customer_id, created_at in rows:
                lead = self.waiting.pop(customer_id, None)
                if lead is not None:
                    lead.task_seen = now
                    lead.task_created_at = created_at.timestamp()


# ---------------------------------------------------------------- warm-up

def warm_up(url: str, token: str, project_id: str, timeout: float = 60.0) -> int:
    """Post leads until one is assigned and its task seen; returns how many it took.

    A healthy suite is not yet a warm one: the directory's users reach the leads, customers
    and tasks services' read copies by events, so right after start a lead may go to the
    pool (no consultant known yet) or its task may be invisible to the manager."""
    deadline = time.monotonic() + timeout
    tries, last = 0, "none"
    while time.monotonic() < deadline:
        tries += 1
        lead = post_lead(url, token, project_id, Lead(-tries, phones(1)[0]))
        if lead.outcome == "created" and wait_for_task(url, token, lead, deadline):
            return tries
        last = lead.outcome
        time.sleep(1.0)
    raise SystemExit(f"warm-up: after {tries} leads in {timeout:.0f}s none was assigned with "
                     f"a task visible to the poster (last: {last}); are the project's "
                     "consultants on duty, and have the services' read copies of the "
                     "directory been filled?")


def wait_for_task(url: str, token: str, lead: Lead, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if find_task(url, token, lead.customer_id) is not None:
            return True
        time.sleep(POLL_INTERVAL)
    return False


# ---------------------------------------------------------------- the run

def run(url: str, token: str, project_id: str, n: int, concurrency: int,
        timeout: float, watcher: TaskWatcher | None = None) -> dict:
    """N leads from `concurrency` threads; `watcher` (default: the API's task list) is
    started here and closed once every created lead's task is seen or given up on."""
    leads = [Lead(i, phone) for i, phone in enumerate(phones(n))]
    watcher = watcher or TaskWatcher(url, token, timeout)
    watcher.start()

    def post_and_hand_over(lead: Lead) -> None:
        post_lead(url, token, project_id, lead)
        if lead.outcome == "created":
            watcher.add(lead)

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="poster") as pool:
        list(pool.map(post_and_hand_over, leads))
    watcher.close_and_wait()
    return summarize(leads, began, concurrency)


def summarize(leads: list[Lead], began: float, concurrency: int) -> dict:
    outcomes = Counter(lead.outcome for lead in leads)
    errors = {k.removeprefix("error:"): v for k, v in outcomes.items() if k.startswith("error:")}
    answered = [lead for lead in leads if not lead.outcome.startswith("error:")]
    owned = [lead for lead in leads if lead.outcome == "created"]
    done = [lead for lead in owned if lead.task_seen is not None]
    posting_s = max((lead.answered for lead in answered), default=began) - began
    completion_s = max((lead.task_seen for lead in done), default=began) - began
    created = outcomes["created"] + outcomes["pooled"]
    return {
        "n": len(leads), "concurrency": concurrency,
        "created": created, "pooled": outcomes["pooled"],
        "duplicates": outcomes["duplicate"],
        "errors": sum(errors.values()), "error_kinds": errors,
        "completed": len(done), "timed_out": len(owned) - len(done),
        "posting_s": round(posting_s, 3), "completion_s": round(completion_s, 3),
        "accepted_per_s": rate(created, posting_s),
        "completed_per_s": rate(len(done), completion_s),
        "accept_latency_ms": percentiles([lead.answered - lead.sent for lead in answered]),
        "end_to_end_latency_ms": percentiles([lead.task_seen - lead.sent for lead in done]),
        "server_task_latency_ms": percentiles(
            [lead.task_created_at - lead.sent_wall for lead in done]),
    }


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


def percentiles(seconds: list[float]) -> dict:
    """p50/p95/p99/max in ms by nearest rank; None when there is nothing to measure."""
    values = sorted(seconds)

    def rank(p: float) -> float | None:
        if not values:
            return None
        return round(values[max(0, math.ceil(p / 100 * len(values)) - 1)] * 1000, 1)

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": rank(100)}


# ---------------------------------------------------------------- a suite of our own

def _admin_engine():
    return create_engine(f"{PG_SERVER}/postgres", poolclass=NullPool,
                         isolation_level="AUTOCOMMIT")


def create_database(name: str) -> None:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_database(name: str, tries: int = 10) -> None:
    """Retried: a busy server may have no connection slot left for a moment."""
    engine = _admin_engine()
    for attempt in range(1, tries + 1):
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            break
        except OperationalError:
            if attempt == tries:
                raise
            time.sleep(2.0)
    engine.dispose()


def create_vhost(name: str) -> None:
    vhost = quote(name, safe="")
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest",
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=10).raise_for_status()


def delete_vhost(name: str) -> None:
    requests.delete(f"{RABBIT_API}/vhosts/{quote(name, safe='')}", timeout=30)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# Below Linux's ephemeral range (32768-60999), as tests/e2e/conftest.py picks them: a port
# the kernel handed out for bind(0), or one above 32768, may be taken by one of the suite's
# own outgoing connections (to RabbitMQ, PostgreSQL) before the service meant to listen on
# it binds it ("Address already in use" while `keyuan up` starts).
PORT_LOW, PORT_HIGH = 20000, 32000


def free_port() -> int:
    return free_port_base(1)


def free_port_base(width: int = 6) -> int:
    """A base port with `width` free ports above it (one /metrics port per service)."""
    while True:
        base = random.randint(PORT_LOW, PORT_HIGH - width)
        if all(_port_free(base + i) for i in range(width)):
            return base


def suite_env(database: str, vhost: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("KEYUAN_") and k.endswith("_DATABASE_URL"))}
    env.update(KEYUAN_ENV="dev", KEYUAN_DATABASE_URL=f"{PG_SERVER}/{database}",
               KEYUAN_AMQP_URI=f"{AMQP_SERVER}/{quote(vhost, safe='')}",
               KEYUAN_GATEWAY_BIND=f"127.0.0.1:{port}",
               KEYUAN_METRICS_PORT_BASE=str(free_port_base()))
    return env


def wait_healthy(url: str, process: subprocess.Popen, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"`keyuan up` exited with {process.returncode}:\n{tail(log)}")
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the suite was not healthy within {timeout:.0f}s:\n{tail(log)}")


def wait_logged(process: subprocess.Popen, log, line: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while line not in Path(log.name).read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"`keyuan up` never said {line!r}:\n{tail(log)}")
        time.sleep(0.3)


def tail(log, lines: int = 40) -> str:
    log.flush()
    log.seek(0)
    return "\n".join(log.read().decode(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C for `keyuan up`, which stops its children; then make sure none outlived it.

    `up` runs in a session of its own, so its process group holds only what we started."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if group_gone(process.pid, within=20.0):
            return
        print(f"children of `keyuan up` outlived it: {sig.name} to the group", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)


def group_gone(pgid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


@contextlib.contextmanager
def suite(timeout: float = 180.0) -> Iterator[str]:
    """`keyuan up` on a fresh database and vhost; yields the gateway URL, then removes all."""
    run_id = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_bench_{run_id}", f"keyuan-bench-{run_id}"
    with contextlib.ExitStack() as stack:
        create_database(database)
        stack.callback(drop_database, database)
        create_vhost(vhost)
        stack.callback(delete_vhost, vhost)
        yield start_up(stack, database, vhost, timeout)


def start_up(stack: contextlib.ExitStack, database: str, vhost: str, timeout: float = 180.0,
             env: dict | None = None, args: tuple[str, ...] = ()) -> str:
    """`keyuan up` (with `args`) on an existing database and vhost, on free ports, stopped
    when `stack` closes; `env` overrides the suite's variables. The gateway's URL once it
    is healthy."""
    return start_up_process(stack, database, vhost, timeout, env, args)[0]


def start_up_process(stack: contextlib.ExitStack, database: str, vhost: str,
                     timeout: float = 180.0, env: dict | None = None,
                     args: tuple[str, ...] = (), settled: bool = False,
                     ) -> tuple[str, subprocess.Popen]:
    """As start_up, also the `keyuan up` process (the leader of the suite's process group).
    With `settled`, returns only once `up` says it is done (the directory's facts have
    reached every service and `up` itself only watches its children): healthy alone, `up`
    may still be polling for the events to settle."""
    port = free_port()
    log = stack.enter_context(tempfile.NamedTemporaryFile(  # noqa: SIM115 (the stack closes it)
        prefix=f"{database}-", suffix=".log", delete=False))
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "up", *args], cwd=REPO,
                               env={**suite_env(database, vhost, port), **(env or {})},
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop, process)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log, timeout)
    if settled:
        wait_logged(process, log, "Ctrl-C stops everything", timeout)
    print(f"suite up at {url} (database {database}, vhost {vhost}, log {log.name})",
          file=sys.stderr)
    return url, process


# ---------------------------------------------------------------- command line

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lead_intake",
                                     description="lead intake throughput and latency")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the gateway")
    parser.add_argument("-n", type=int, default=500, help="leads to post")
    parser.add_argument("-c", "--concurrency", type=int, default=16, help="posting threads")
    parser.add_argument("--project", choices=sorted(PROJECTS), default="hz")
    parser.add_argument("--username", help="who posts and polls (default mgr.<project>)")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for one lead's task before giving up on it")
    parser.add_argument("--start-suite", action="store_true",
                        help="run `keyuan up` on a fresh database and vhost (ignores --url)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1:
        parser.error("-n and -c must be at least 1")
    args.username = args.username or f"mgr.{args.project}"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    project_id = str(PROJECTS[args.project][0])
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(suite()) if args.start_suite else args.url.rstrip("/")
        token = login(url, args.username, args.password)
        warm_up_leads = warm_up(url, token, project_id)
        figures = run(url, token, project_id, args.n, args.concurrency, args.timeout)
        figures["warm_up_leads"] = warm_up_leads
        print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)
    return 1 if figures["errors"] or figures["timed_out"] else 0


if __name__ == "__main__":
    sys.exit(main())
