"""Before starting: do PostgreSQL and RabbitMQ answer? Say exactly how to start them if not."""

from __future__ import annotations

import pika
import pika.exceptions
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import kit  # noqa: F401
from kit.settings import SERVICES, Settings

START_POSTGRES = ("start it with: pg_ctlcluster --skip-systemctl-redirect "
                  "$(ls /etc/postgresql) main start   (or: docker compose up -d postgres)")
START_RABBITMQ = ("start it with: rabbitmq-server -detached   "
                  "(or: docker compose up -d rabbitmq)")


class NotReady(RuntimeError):
    pass


def ensure_database(url: str) -> None:
    """Connect; create the database when the server answers but it does not exist yet."""
    target = make_url(url)
    try:
        create_engine(target, poolclass=NullPool).connect().close()
        return
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise NotReady(f"PostgreSQL at {target.host}:{target.port or 5432} does not answer "
                           f"({str(exc).splitlines()[0]}); {START_POSTGRES}") from None
    admin = create_engine(target.set(database="postgres"), poolclass=NullPool,
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def check_broker(amqp_uri: str) -> None:
    try:
        params = pika.URLParameters(amqp_uri)
        params.connection_attempts = 1
        params.socket_timeout = 3
        pika.BlockingConnection(params).close()
    except pika.exceptions.AMQPError as exc:
        raise NotReady(f"RabbitMQ at {amqp_uri.rsplit('@', 1)[-1]} does not answer ({exc!r}); "
                       f"{START_RABBITMQ}") from None


def check_all(settings: Settings) -> None:
    for url in {settings.database_url_for(s) for s in SERVICES}:
        ensure_database(url)
    check_broker(settings.amqp_uri)
