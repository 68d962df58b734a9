"""How fast does a service's outbox relay publish? Writes N events into a fresh database's
leads outbox, binds a queue so they are routable, and times the relay draining them
(publisher confirms per batch). Prints JSON: events, seconds, events_per_s.

    .venv/bin/python -m bench.outbox_relay -n 20000
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from urllib.parse import quote

import requests
from kombu import Connection, Queue
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from kit import clock, outbox
from kit.db import make_engine
from kit.migrate import upgrade
from kit.settings import Settings
from services.leads import store

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
RABBIT_API = "http://guest:guest@127.0.0.1:15672/api"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=20_000)
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
        upgrade(settings, ("leads",))
        engine = make_engine(settings.database_url, pool_size=2)
        now = clock.now()
        rows = [{"id": uuid.uuid4(), "event_type": "bench.event", "created_at": now,
                 "next_attempt_at": now,
                 "envelope": outbox.envelope("leads", "bench.event", {"n": i}).model_dump(
                     mode="json")} for i in range(args.n)]
        with engine.begin() as conn:
            conn.execute(insert(store.Outbox), rows)
        with Connection(settings.amqp_uri) as amqp_conn:
            Queue("bench-sink", exchange=outbox.events_exchange("leads"),
                  routing_key="bench.event")(amqp_conn.channel()).declare()
        relay = outbox.Relay("leads", store.Outbox, sessionmaker(engine), settings.amqp_uri)
        began = time.perf_counter()
        sent = 0
        while sent < args.n:
            batch = relay.publish_batch()
            if batch == 0:
                break
            sent += batch
        seconds = time.perf_counter() - began
        relay.close()
        engine.dispose()
        result = {"events": sent, "seconds": round(seconds, 2),
                  "events_per_s": round(sent / seconds, 1), "batch": outbox.BATCH}
    finally:
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
