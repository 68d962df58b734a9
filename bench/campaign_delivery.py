"""Campaign delivery: how fast a re-marketing SMS campaign reaches its customers.

    python -m bench.campaign_delivery                     # 20,000 customers
    python -m bench.campaign_delivery -n 5000 --provider-latency-ms 50

Loads N customers of one company with bench.segments' loader (COPY into a fresh database
`keyuan_bench_<hex>` and vhost `keyuan-bench-<hex>`, migrated; 3% opted out and 0.5% erased
or merged away, as there) and gives them real phones: their phone_enc is sealed with the
vault of the settings the services run with, so the tasks service can open them. The
directory's users (the admin among them) are copied into customers.users and tasks.users.
Then it starts the customers and tasks services as real processes (`python -m cli.main
service customers|tasks`, logs in /tmp/keyuan_bench_<hex>-<service>.log) and a threaded HTTP
server in this process standing in for the SMS provider (answers 200 JSON, after
--provider-latency-ms if given, and notes every request). As the company's admin, over the
services' RPCs (kit.rpc_client, a token from kit.auth.issue): configures the SMS channel,
saves a segment with an empty filter (every live customer) and starts an SMS campaign. It
watches the tasks schema, the fake provider and the customers service's `campaigns` RPC
(every 0.1-0.25 s) until the campaign shows `delivered`.

Prints one JSON object; times are seconds from the start_campaign call going out:

  n, cpus, provider_latency_ms   what was asked for, and the machine
  recipients, skipped_opted_out  start_campaign's answer
  start_rpc_ms                   the start_campaign call itself
  recorded_s                     the tasks service recorded campaign.started (its created_at)
  expanded_s                     the last recipient row was recorded (the rows' created_at)
  expanded_per_s                 recipients / expanded_s
  first_sms_s, last_sms_s        first and last request the fake provider received
  delivered_shown_s              `campaigns` first answered status delivered (polled)
  sms_received, distinct_phones  what the provider got (a phone is E.164 once decrypted)
  sms_per_s                      sms_received / (last_sms_s - first_sms_s): the sending rate
  sms_per_s_overall              sms_received / last_sms_s: from the manager's click
  final                          the campaign as `campaigns` shows it at the end
  send_batch, send_concurrency   the tasks service's batch (KEYUAN_NOTIFY_BATCH_SIZE) and
                                 concurrent posts per batch (sender.Policy.concurrency)

Never asserts on time; exits 1 when the campaign did not finish within --timeout or some
SMS did not arrive. Processes, vhost and database are removed at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.lead_intake import REPO, free_port, stop, suite_env, wait_healthy
from bench.segments import USER_COLUMNS, Company, fresh_database, load
from cli.supervisor import _die_with_parent
from contracts.actor import Actor, Role
from contracts.errors import ServiceUnavailable
from kit.auth import issue, system_user_id
from kit.crypto import Vault
from kit.rpc_client import RpcClient
from kit.settings import DEV_DATA_KEY, DEV_INDEX_KEY, DEV_SECRET_KEY, SERVICES
from services.tasks.notify.sender import Policy

SERVICES_STARTED = ("customers", "tasks")
MESSAGE = "【客源】老业主专享：一期学区房加推，本周六开放看房，欢迎莅临。"


# --- the fake SMS provider ---------------------------------------------------------------

class FakeProvider(ThreadingHTTPServer):
    """Answers every POST 200 with a small JSON body after `latency` seconds; notes when
    each request came and the phone it was for."""

    daemon_threads = True
    request_queue_size = 256      # ten concurrent senders must never wait for a SYN retry

    def __init__(self, latency: float):
        super().__init__(("127.0.0.1", 0), _ProviderHandler)
        self.latency = latency
        self.lock = threading.Lock()
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        self.phones: set[str] = set()
        self.bad = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms/send"

    def note(self, body: bytes) -> None:
        now = time.time()
        try:
            phone = json.loads(body)["phone"]
        except (ValueError, KeyError, TypeError):
            phone = None
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
            if isinstance(phone, str) and phone.startswith("+86"):
                self.phones.add(phone)
            else:
                self.bad += 1


class _ProviderHandler(BaseHTTPRequestHandler):
    server: FakeProvider

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.latency:
            time.sleep(self.server.latency)
        self.server.note(body)
        answer = b'{"code": "OK", "message": "accepted"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args) -> None:
        pass


@contextlib.contextmanager
def fake_provider(latency_ms: float):
    server = FakeProvider(latency_ms / 1000)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="fake-sms")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- data ---------------------------------------------------------------------------------

def give_real_phones(engine, vault: Vault, rng: random.Random) -> int:
    """Every loaded customer gets a distinct mobile number sealed by the services' vault
    (bench.segments writes ciphertext-like strings no vault opens), its blind index and
    masked form."""
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM customers.customers ORDER BY id")).scalars().all()
    numbers = rng.sample(range(10**8), len(ids))
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute("CREATE TEMP TABLE bench_phones (id uuid, enc text, idx text, "
                        "masked text) ON COMMIT DROP")
            with cur.copy("COPY bench_phones FROM STDIN") as copy:
                for customer_id, number in zip(ids, numbers, strict=True):
                    sealed = vault.seal_phone(f"+86139{number:08d}")
                    copy.write_row((customer_id, sealed.enc, sealed.index, sealed.masked))
            cur.execute("UPDATE customers.customers c SET phone_enc = p.enc, "
                        "phone_index = p.idx, phone_masked = p.masked "
                        "FROM bench_phones p WHERE c.id = p.id")
        raw.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE customers.customers"))
    return len(ids)


def copy_users_to_tasks(engine, company: Company) -> None:
    """The tasks service's read copy of the directory's users (load() fills customers')."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY tasks.users ({', '.join(USER_COLUMNS)}) FROM STDIN") as copy:
            for row in company.users:
                copy.write_row(row)
        raw.commit()


# --- the services -------------------------------------------------------------------------

def start_services(stack: contextlib.ExitStack, database: str, timeout: float) -> dict:
    """customers and tasks as `keyuan service` processes on the bench's database and vhost,
    each in a session of its own (stopped by lead_intake.stop); waits for their /healthz."""
    env = suite_env(database, database.replace("keyuan_bench_", "keyuan-bench-"), free_port())
    env["KEYUAN_CAMPAIGN_SMS_HOURS"] = "00:00-00:00"   # measure at any hour of the day
    # A private database on the test suite's keys (the bench seals phones and signs tokens
    # with them); set here, they win over any secrets file of the repository.
    env.update(KEYUAN_ENV="test", KEYUAN_SECRET_KEY=DEV_SECRET_KEY, KEYUAN_DATA_KEY=DEV_DATA_KEY,
               KEYUAN_INDEX_KEY=DEV_INDEX_KEY)
    base = int(env["KEYUAN_METRICS_PORT_BASE"])
    logs = {}
    for name in SERVICES_STARTED:
        log = stack.enter_context(tempfile.NamedTemporaryFile(  # noqa: SIM115 (the stack closes it)
            prefix=f"{database}-{name}-", suffix=".log", delete=False))
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "service", name], cwd=REPO, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
        stack.callback(stop, process)
        logs[name] = (process, log)
    for name, (process, log) in logs.items():
        wait_healthy(f"http://127.0.0.1:{base + SERVICES.index(name)}", process, log, timeout)
        print(f"{name} is up (log {log.name})", file=sys.stderr)
    return env


def call_when_ready(rpc: RpcClient, service: str, method: str, *args, within: float = 60.0):
    """The first call to a freshly started service: retried until its consumers are up."""
    deadline = time.monotonic() + within
    while True:
        try:
            return rpc.call(service, method, *args)
        except ServiceUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- the run ------------------------------------------------------------------------------

def run(rpc: RpcClient, engine, token: str, provider: FakeProvider, timeout: float) -> dict:
    call_when_ready(rpc, "tasks", "configure_notifications", token, {
        "channels": {"sms": {"url": provider.url, "api_key": "bench-key", "sender": "客源",
                             "templates": {"campaign": "SMS_CAMPAIGN_1"}}}})
    segment = call_when_ready(rpc, "customers", "save_segment", token,
                              {"name": "全部客户 (bench)", "filter": {}})
    began = time.time()
    campaign = rpc.call("customers", "start_campaign", token,
                        {"segment_id": segment["id"], "channel": "sms", "message": MESSAGE})
    start_rpc = time.time() - began
    campaign_id = campaign["id"]
    print(f"campaign {campaign_id}: {campaign['recipients']:,} recipients", file=sys.stderr)

    expanded_seen = delivered_shown = None
    shown = campaign
    deadline = time.monotonic() + timeout
    next_rpc_look = 0.0
    while time.monotonic() < deadline and delivered_shown is None:
        time.sleep(0.1)
        if expanded_seen is None:
            with engine.connect() as conn:
                if conn.execute(text("SELECT resolved FROM tasks.campaigns WHERE "
                                     "campaign_id = :id"), {"id": campaign_id}).scalar():
                    expanded_seen = time.time()
                    print(f"  recipients read after {expanded_seen - began:.1f}s; "
                          f"{provider.count:,} SMS so far", file=sys.stderr)
        if time.monotonic() >= next_rpc_look:
            next_rpc_look = time.monotonic() + 0.25
            shown = next(item for item in rpc.call("customers", "campaigns", token)["items"]
                         if item["id"] == campaign_id)
            if shown["status"] == "delivered":
                delivered_shown = time.time()
    with engine.connect() as conn:
        recorded, first_row, last_row, rows = conn.execute(text(
            "SELECT r.created_at, min(d.created_at), max(d.created_at), count(d.id) "
            "FROM tasks.campaigns r LEFT JOIN tasks.campaign_deliveries d "
            "ON d.campaign_id = r.campaign_id WHERE r.campaign_id = :id "
            "GROUP BY r.created_at"), {"id": campaign_id}).one()

    def since(moment) -> float | None:
        if moment is None:
            return None
        stamp = moment.timestamp() if hasattr(moment, "timestamp") else moment
        return round(stamp - began, 2)

    sending = (provider.last or 0) - (provider.first or 0)
    return {
        "campaign_id": campaign_id, "recipients": campaign["recipients"],
        "skipped_opted_out": campaign["skipped_opted_out"],
        "start_rpc_ms": round(start_rpc * 1000, 1),
        "recorded_s": since(recorded), "first_recipients_s": since(first_row),
        "expanded_s": since(last_row) if expanded_seen else None,
        "expanded_seen_s": since(expanded_seen), "recipient_rows": rows,
        "expanded_per_s": round(rows / (last_row.timestamp() - began), 1)
        if expanded_seen and last_row else None,
        "first_sms_s": since(provider.first), "last_sms_s": since(provider.last),
        "delivered_shown_s": since(delivered_shown),
        "sms_received": provider.count, "distinct_phones": len(provider.phones),
        "bad_requests": provider.bad,
        "sms_per_s": round(provider.count / sending, 1) if sending > 0 else None,
        "sms_per_s_overall": round(provider.count / (provider.last - began), 1)
        if provider.last else None,
        "final": {k: shown[k] for k in ("status", "recipients", "delivered", "failed",
                                        "not_sent")},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign_delivery",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="customers to load")
    parser.add_argument("--provider-latency-ms", type=float, default=0.0,
                        help="how long the fake SMS provider takes to answer")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for the campaign to be delivered")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.n < 1 or args.provider_latency_ms < 0:
        parser.error("-n must be at least 1 and the latency not negative")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)    # clean up as on Ctrl-C
    with contextlib.ExitStack() as stack:
        settings, database = stack.enter_context(fresh_database())
        engine = create_engine(settings.database_url, poolclass=NullPool)
        stack.callback(engine.dispose)
        company = Company(random.Random(args.seed))
        # The notifier: the company's system user, as the directory makes and publishes it.
        company.users.append((system_user_id(company.id), company.id, "系统 system",
                              "integration", None, [], True, False, 1))
        loaded = load(engine, company, args.n, args.seed)
        give_real_phones(engine, Vault.from_settings(settings), random.Random(args.seed))
        copy_users_to_tasks(engine, company)
        print(f"loaded: {loaded}", file=sys.stderr)
        provider = stack.enter_context(fake_provider(args.provider_latency_ms))
        start_services(stack, database, timeout=120.0)
        rpc = RpcClient(settings.amqp_uri, pool_size=2, timeout=30.0)
        stack.callback(rpc.close)
        token, _ = issue(Actor(user_id=company.admin, company_id=company.id, role=Role.admin),
                         settings.secret_key, 3600)
        figures = run(rpc, engine, token, provider, args.timeout)
    policy = Policy.from_settings(settings)
    print(json.dumps({"n": args.n, "cpus": os.cpu_count(),
                      "provider_latency_ms": args.provider_latency_ms,
                      "load_customers_per_s": loaded["customers_per_s"], **figures,
                      "send_batch": policy.batch, "send_concurrency": policy.concurrency},
                     ensure_ascii=False, indent=1))
    complete = figures["final"]["status"] == "delivered" \
        and figures["sms_received"] >= figures["final"]["delivered"]
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
