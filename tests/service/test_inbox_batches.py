"""Batched consumption keeps exactly-once effects: a consumer process killed (SIGKILL) in
the middle of a batch loses no event and, started again, applies each once, however often
the broker delivered it. The analytics counter is a bare +1, so only the inbox keeps a
repeat from counting twice; and only acknowledging after the commit keeps a killed batch
from being lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests
from amqp.exceptions import ChannelError
from kombu import Connection
from sqlalchemy import text

from contracts import leads
from kit import clock
from kit.crypto import Vault
from tests.e2e.conftest import free_port
from tests.service.conftest import count, envelope, publish, wait_for

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "evt-leads-lead.created--analytics.on_lead_created"


def _process(infra, log: Path, metrics_port: int) -> subprocess.Popen:
    env = {**os.environ, "KEYUAN_ENV": "test", "KEYUAN_DATABASE_URL": infra.database_url,
           "KEYUAN_AMQP_URI": infra.amqp_uri, "KEYUAN_METRICS_PORT": str(metrics_port)}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "cli.main", "service", "analytics"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _consumers(infra) -> int:
    with Connection(infra.amqp_uri) as conn:
        try:
            return conn.channel().queue_declare(QUEUE, passive=True).consumer_count
        except ChannelError:  # not declared yet
            return 0


def _lead_created(infra, company, project) -> dict:
    sealed = Vault.from_settings(infra).seal_phone("+8613800138000")
    payload = leads.LeadCreated(
        lead_id=uuid.uuid4(), customer_id=uuid.uuid4(), company_id=company,
        project_id=project, channel="douyin", sub_source=None, name="批次",
        phone=sealed, duplicate=False, owner_id=uuid.uuid4(), created_at=clock.now())
    return envelope("leads", leads.LEAD_CREATED, payload.model_dump(mode="json"))


@contextmanager
def counters_locked(engine):
    """Hold a lock that makes every counter upsert wait, until the block ends."""
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE analytics.daily_counts IN SHARE ROW EXCLUSIVE MODE"))
        yield
        conn.rollback()


def _blocked_on_counters(engine) -> bool:
    return count(engine, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                 "current_database() AND wait_event_type = 'Lock' AND query ILIKE "
                 "'%daily_counts%'") > 0


def _leads_counted(engine, project) -> int:
    return count(engine, "SELECT coalesce(sum(count), 0) FROM analytics.daily_counts "
                 "WHERE project_id = :p AND metric = 'leads'", p=project)


def _metrics(metrics_port: int) -> dict[str, float]:
    """The process's inbox figures for on_lead_created, from its /metrics."""
    try:
        body = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    except requests.ConnectionError:
        return {}
    return {line.split("{")[0]: float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
            if line.startswith("keyuan_inbox_") and 'handler="on_lead_created"' in line}


def test_a_consumer_killed_mid_batch_loses_nothing_and_applies_nothing_twice(
        infra, engine, tmp_path):
    company, project = uuid.uuid4(), uuid.uuid4()
    events = [_lead_created(infra, company, project) for _ in range(12)]
    log, port = tmp_path / "analytics.log", free_port()
    process = _process(infra, log, port)
    try:
        wait_for(lambda: _consumers(infra) > 0 or process.poll() is not None, timeout=60)
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        with counters_locked(engine):
            for event in events + events[:4]:  # four of them delivered twice
                publish(infra, "leads", event)
            # The first batches are mid-way: their events claimed in the inbox, a counter
            # waiting for the lock; the rest wait in the process, unacknowledged.
            wait_for(lambda: _blocked_on_counters(engine), timeout=30)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        assert _leads_counted(engine, project) == 0
        assert count(engine, "SELECT count(*) FROM analytics.inbox WHERE event_id = "
                     "ANY(CAST(:ids AS uuid[]))", ids=[e["id"] for e in events]) == 0

        process = _process(infra, log, port)
        with counters_locked(engine):
            # Everything comes back; while the first batch waits, the others gather.
            wait_for(lambda: _blocked_on_counters(engine), timeout=60)
            time.sleep(0.5)
        for event in events[4:7]:  # and three redelivered after the restart
            publish(infra, "leads", event)
        # All 19 deliveries seen by the new process: 12 applied, 7 recognised as repeats.
        wait_for(lambda: _leads_counted(engine, project) >= 12, timeout=60)
        wait_for(lambda: _metrics(port).get("keyuan_inbox_duplicates_total", 0) >= 7,
                 timeout=30)
        figures = _metrics(port)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    assert _leads_counted(engine, project) == 12
    assert count(engine, "SELECT count(*) FROM analytics.inbox WHERE event_id = "
                 "ANY(CAST(:ids AS uuid[]))", ids=[e["id"] for e in events]) == 12
    # The restarted process took what came back in batches, not one by one.
    batches = figures["keyuan_inbox_batch_size_count"]
    assert batches < figures["keyuan_inbox_batch_size_sum"], figures
