"""A crash midway through a departure's handover: the leads service is a real process,
killed with SIGKILL while it moves a consultant's customers, then started again (and the
departure announced once more, as a retried call would). The plan finishes, and no
customer changed hands twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from contracts import directory
from contracts import handover as h
from kit import clock
from tests.e2e.conftest import free_port
from tests.service.conftest import count, envelope, publish

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 6000


def _process(infra, log: Path) -> subprocess.Popen:
    env = {**os.environ, "KEYUAN_ENV": "test", "KEYUAN_DATABASE_URL": infra.database_url,
           "KEYUAN_AMQP_URI": infra.amqp_uri, "KEYUAN_METRICS_PORT": str(free_port())}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "cli.main", "service", "leads"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _moved(engine, handover_id) -> int:
    return count(engine, "SELECT count(*) FROM leads.handover_items WHERE handover_id = :h "
                 "AND status = 'moved'", h=handover_id)


@pytest.fixture(autouse=True)
def leave_no_backlog(engine):
    """The killed process leaves its last batch events unsent in leads.outbox. They are this
    test's alone: the next test's leads container would relay them (6,000 moves of customers
    no customers service knows) and the customers it starts would work through them first."""
    yield
    with engine.begin() as conn:
        conn.execute(text("UPDATE leads.outbox SET sent_at = now() WHERE sent_at IS NULL"))


@pytest.fixture
def leaver(engine):
    """A consultant x owning many customers, two colleagues a and b, in the leads copy."""
    company, project, team = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    people = {k: uuid.uuid4() for k in ("x", "a", "b", "mgr")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO leads.projects VALUES (:p, :c, '滨江壹号', '杭州', 1)"),
                     {"p": project, "c": company})
        for key, user_id in people.items():
            conn.execute(text(
                "INSERT INTO leads.users (id, company_id, name, role, team_id, project_ids, "
                "active, on_duty, revision) VALUES (:u, :c, :n, :r, :t, ARRAY[:p]::uuid[], "
                ":active, true, 2)"),
                {"u": user_id, "c": company, "n": key, "t": team, "p": project,
                 "r": "manager" if key == "mgr" else "consultant", "active": key != "x"})
        conn.execute(text(
            "INSERT INTO leads.customer_keys (customer_id, company_id, phone_index, "
            "first_lead_id, owner_id, created_at, project_id, name, phone_masked, "
            "owner_revision) SELECT gen_random_uuid(), CAST(:c AS uuid), md5(:c || i::text), "
            "gen_random_uuid(), :x, now(), :p, '客户' || i, '138****' || lpad(i::text, 4, '0'),"
            " 1 FROM generate_series(1, :n) AS i"),
            {"c": str(company), "x": people["x"], "p": project, "n": CUSTOMERS})
    return company, team, people


def test_a_kill_9_midway_then_a_restart_and_a_retry_move_everyone_exactly_once(
        infra, engine, leaver, tmp_path):
    company, team, people = leaver
    fact = h.UserOffboarded(offboarding_id=uuid.uuid4(), company_id=company,
                            user_id=people["x"], team_id=team,
                            plan=h.HandoverPlan(mode="round_robin"), by=people["mgr"],
                            at=clock.now())
    handover_id = fact.offboarding_id
    announce = envelope(directory.SERVICE, h.USER_OFFBOARDED, fact.model_dump(mode="json"))
    publish(infra, directory.SERVICE, announce)
    log = tmp_path / "leads.log"
    process = _process(infra, log)
    try:
        deadline = time.monotonic() + 90
        while _moved(engine, handover_id) < 400:
            assert process.poll() is None and time.monotonic() < deadline, \
                log.read_text(errors="replace")[-3000:]
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        at_kill = _moved(engine, handover_id)
        assert at_kill < CUSTOMERS, "the handover finished before the kill: nothing tested"
        # What committed is whole: every moved item has its move recorded, nothing more.
        assert count(engine, "SELECT count(*) FROM leads.pool_actions WHERE "
                     "action = 'handover' AND company_id = :c", c=company) == at_kill

        process = _process(infra, log)
        again = envelope(directory.SERVICE, h.USER_OFFBOARDED, fact.model_dump(mode="json"))
        publish(infra, directory.SERVICE, again)       # the departure announced once more
        deadline = time.monotonic() + 120
        while count(engine, "SELECT count(*) FROM leads.handovers WHERE id = :h AND "
                    "status = 'done'", h=handover_id) == 0:
            assert process.poll() is None and time.monotonic() < deadline, \
                log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    assert _moved(engine, handover_id) == CUSTOMERS
    with engine.connect() as conn:
        per_customer = conn.execute(text(
            "WITH announced AS (SELECT (m->>'customer_id')::uuid AS customer_id, "
            "  count(*) AS n FROM leads.outbox o, "
            "  jsonb_array_elements(o.envelope->'payload'->'moves') m "
            "  WHERE o.event_type = 'customers.handed_over' GROUP BY 1), "
            " recorded AS (SELECT customer_id, count(*) AS n FROM leads.pool_actions "
            "  WHERE action = 'handover' GROUP BY 1) "
            "SELECT k.customer_id, k.owner_id, coalesce(r.n, 0) AS actions, "
            " coalesce(a.n, 0) AS events FROM leads.customer_keys k "
            "LEFT JOIN recorded r USING (customer_id) LEFT JOIN announced a "
            "USING (customer_id) WHERE k.company_id = :c"), {"c": company}).all()
    assert len(per_customer) == CUSTOMERS
    assert {(r.actions, r.events) for r in per_customer} == {(1, 1)}
    assert {r.owner_id for r in per_customer} == {people["a"], people["b"]}
