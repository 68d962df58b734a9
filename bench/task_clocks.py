"""How exact are task deadlines with a million open tasks? Loads N open tasks (COPY) into a
fresh database, makes K of them fall due over the next seconds, runs the clock sweep as the
tasks service's one-second timer does, and prints JSON: the longest sweep, the alerts fired
and the lag between due and fired.

    .venv/bin/python -m bench.task_clocks -n 1000000 -k 5000
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from kit import clock
from kit.settings import Settings
from services.tasks.clock_entrypoints import Clocks

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def load(engine, n: int, k: int) -> None:
    now = clock.now()
    company, project, owner = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    buffer = io.StringIO()
    for i in range(n):
        due = now + timedelta(minutes=5 + i % 40000)
        alert = due
        buffer.write(f"{uuid.uuid4()}\t{company}\t{project}\t{uuid.uuid4()}\t{owner}\t"
                     f"first_contact\t首次联系\topen\t{due.isoformat()}\t{now.isoformat()}\t"
                     f"{uuid.uuid4()}\tnew\tfollowup\t{alert.isoformat()}\n")
    buffer.seek(0)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(
                "COPY tasks.tasks (id, company_id, project_id, customer_id, owner_id, kind, "
                "title, status, due_at, created_at, source_event_id, stage, evidence, "
                "next_alert_at) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE tasks.tasks"))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("-k", type=int, default=5_000)
    args = parser.parse_args(argv)
    database = f"keyuan_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG}/postgres", poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        settings = Settings(env="test", database_url=f"{PG}/{database}")
        upgrade_without_broker(settings)
        engine = create_engine(settings.database_url, poolclass=NullPool)
        began = time.perf_counter()
        load(engine, args.n, args.k)
        loaded = time.perf_counter() - began
        with engine.begin() as conn:
            # K tasks fall due over the next few seconds, spread across the table.
            conn.execute(text(
                "UPDATE tasks.tasks SET due_at = now() + interval '3 seconds' + "
                "(random() * interval '5 seconds'), next_alert_at = NULL WHERE id IN "
                "(SELECT id FROM tasks.tasks TABLESAMPLE SYSTEM (5) LIMIT :k)"), {"k": args.k})
            conn.execute(text("UPDATE tasks.tasks SET next_alert_at = due_at "
                              "WHERE next_alert_at IS NULL"))
        with Session(engine) as session:
            sweeper = SimpleNamespace(db=session)
            fired, sweep, deadline = 0, 0.0, time.monotonic() + 60
            while fired < args.k and time.monotonic() < deadline:
                started = time.perf_counter()  # one tick of the service's 1-second timer
                while (batch := Clocks._task_clock_batch(sweeper)) > 0:
                    fired += batch
                sweep = max(sweep, time.perf_counter() - started)
                time.sleep(1)
        with engine.connect() as conn:
            lags = [float(row[0]) for row in conn.execute(text(
                "SELECT extract(epoch FROM (o.created_at - t.due_at)) FROM tasks.outbox o "
                "JOIN tasks.tasks t ON t.id = (o.envelope->'payload'->>'task_id')::uuid"))]
            plan = conn.execute(text(
                "EXPLAIN SELECT * FROM tasks.tasks WHERE status = 'open' AND next_alert_at "
                "<= now() ORDER BY next_alert_at LIMIT 500")).scalars().all()
        engine.dispose()
        result = {"open_tasks": args.n, "due": args.k, "fired": fired,
                  "load_seconds": round(loaded, 1), "longest_sweep_seconds": round(sweep, 3),
                  "lag_s": {"p50": round(statistics.median(lags), 2),
                            "p99": round(sorted(lags)[int(len(lags) * 0.99) - 1], 2),
                            "max": round(max(lags), 2)} if lags else None,
                  "uses_index": any("ix_tasks_next_alert" in line for line in plan)}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps(result, ensure_ascii=False))
    return result


def upgrade_without_broker(settings: Settings) -> None:
    """Only the tasks schema's tables are needed; no broker topology."""
    from alembic import command

    from kit.migrate import alembic_config

    command.upgrade(alembic_config("tasks", settings.database_url), "head")


if __name__ == "__main__":
    main()
