"""What does authorising a caller from the read copy cost per RPC? Times Keys.actor (the
signature, then the caller's row in the service's users copy and the token's jti in its
revoked tokens, one statement) against a real PostgreSQL, beside the signature check alone.

    .venv/bin/python -m bench.actor_check -n 5000 --users 10000

A fresh database (`keyuan_bench_<hex>`, migrated, dropped afterwards) gets `--users` users
in customers.users and `--revoked` logged-out tokens; each call then runs as a service
worker would: a new session from the pool, Keys.actor for a random user's token, the
session closed; beside the same worker trusting the token's claims (the signature alone, as
before). Each does one `SELECT 1` of its own after the check, standing in for its work (the
pooled connection is checked out, and pinged, either way). Prints JSON: microseconds per
call (wall, and this process's CPU: PostgreSQL's is not in it) and their difference, what
the copy adds to an RPC."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import time
import uuid
from datetime import timedelta
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from contracts.actor import Actor, Role
from kit import auth, clock
from kit.db import make_engine
from kit.migrate import upgrade
from kit.readcopy import KeepsUserCopy
from kit.service import Keys
from kit.settings import Settings
from services.customers import store

PG = os.environ.get("KEYUAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
RABBIT_API = os.environ.get("KEYUAN_TEST_RABBIT_API", "http://guest:guest@127.0.0.1:15672/api")


class Worker(KeepsUserCopy):
    """The customers service as Keys.actor sees it: its session and its copies."""

    name = "customers"
    users_table = store.Users
    revoked_tokens_table = store.RevokedTokens

    def __init__(self, session):
        self.db = session


def timed(calls: int, once) -> tuple[float, float]:
    """Microseconds per call: wall clock and this process's CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        once()
    return ((time.perf_counter() - wall) / calls * 1e6,
            (time.process_time() - cpu) / calls * 1e6)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="calls timed per variant")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--revoked", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of each, medians")
    args = parser.parse_args(argv)
    run = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_bench_{run}", f"keyuan-bench-{run}"
    admin = create_engine(f"{PG}/postgres", poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    settings = Settings(env="test", database_url=f"{PG}/{database}",
                        amqp_uri=f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}")
    try:
        upgrade(settings, ("customers",))
        engine = make_engine(settings.database_url, pool_size=2)  # as kit.db.Database
        company, now = uuid.uuid4(), clock.now()
        users = [{"id": uuid.uuid4(), "company_id": company, "name": f"顾问{i}",
                  "role": "consultant", "team_id": None, "project_ids": [uuid.uuid4()],
                  "active": True, "on_duty": True, "revision": 1, "scopes": []}
                 for i in range(args.users)]
        with engine.begin() as conn:
            conn.execute(insert(store.Users), users)
            conn.execute(insert(store.RevokedTokens), [
                {"jti": uuid.uuid4().hex, "expires_at": now + timedelta(hours=1)}
                for _ in range(args.revoked)])
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE customers.users"))
            conn.execute(text("VACUUM ANALYZE customers.revoked_tokens"))
        tokens = [auth.issue(Actor(user_id=u["id"], company_id=company, role=Role.consultant),
                             settings.secret_key, 3600, rev=1)[0]
                  for u in random.Random(1).choices(users, k=args.n)]
        keys, sessions = Keys(settings), sessionmaker(engine, expire_on_commit=False)
        pending = itertools.cycle(tokens)

        def signature_only():
            auth.verify(next(pending), settings.secret_key)

        # A worker: its session, the caller check, then its own work (here one SELECT 1).
        def as_a_worker():
            with sessions() as session:
                keys.bound(Worker(session)).actor(next(pending))
                session.execute(text("SELECT 1"))

        def as_a_worker_trusting_the_claims():  # as before: the signature alone
            with sessions() as session:
                auth.verify(next(pending), settings.secret_key)
                session.execute(text("SELECT 1"))

        # Rounds of each in turn, medians kept: the machine is shared, its load moves.
        chunk = max(1, args.n // args.rounds)
        runs: dict[str, list] = {"signature": [], "baseline": [], "checked": []}
        pending = itertools.cycle(tokens)
        for _ in range(args.rounds):
            runs["signature"].append(timed(chunk, signature_only))
            runs["baseline"].append(timed(chunk, as_a_worker_trusting_the_claims))
            runs["checked"].append(timed(chunk, as_a_worker))
        signature, baseline, checked = (
            tuple(statistics.median(r[i] for r in runs[k]) for i in (0, 1))
            for k in ("signature", "baseline", "checked"))
        engine.dispose()
    finally:
        requests.delete(f"{RABBIT_API}/vhosts/{quote(vhost, safe='')}", timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    figures = {
        "calls": chunk * args.rounds, "rounds": args.rounds, "users": args.users,
        "revoked_tokens": args.revoked,
        "signature_only_us": {"wall": round(signature[0], 1), "cpu": round(signature[1], 1)},
        "worker_trusting_claims_us": {"wall": round(baseline[0], 1),
                                      "cpu": round(baseline[1], 1)},
        "worker_with_keys_actor_us": {"wall": round(checked[0], 1),
                                      "cpu": round(checked[1], 1)},
        "added_by_the_copy_us": {"wall": round(checked[0] - baseline[0], 1),
                                 "cpu": round(checked[1] - baseline[1], 1)},
    }
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
