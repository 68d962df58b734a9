"""The test session's own infrastructure (a RabbitMQ vhost and a PostgreSQL database, removed
afterwards), without eventlet: tests/conftest.py monkey-patches for the in-process Nameko
tests and re-exports these; the browser tests (tests/web) use them in a process of their
own, where Playwright's driver must not run under eventlet."""

import kit  # noqa: F401, I001  (sets PSYCOPG_WAIT_FUNC before psycopg loads)

import os
import subprocess
import uuid
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kit.settings import Settings

PG_SERVER = os.environ.get("KEYUAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
AMQP_SERVER = os.environ.get("KEYUAN_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")
RABBIT_API = os.environ.get("KEYUAN_TEST_RABBIT_API", "http://guest:guest@127.0.0.1:15672/api")


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def create_vhost(name: str) -> None:
    try:
        requests.put(f"{RABBIT_API}/vhosts/{quote(name, safe='')}", timeout=10).raise_for_status()
        requests.put(f"{RABBIT_API}/permissions/{quote(name, safe='')}/guest",
                     json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()
    except requests.ConnectionError:
        _rabbitmqctl("add_vhost", name)
        _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")


def delete_vhost(name: str) -> None:
    try:
        requests.delete(f"{RABBIT_API}/vhosts/{quote(name, safe='')}", timeout=30)
    except requests.ConnectionError:
        _rabbitmqctl("delete_vhost", name)


def _admin_engine():
    return create_engine(f"{PG_SERVER}/postgres", poolclass=NullPool,
                         isolation_level="AUTOCOMMIT")


def fresh_infra(tmp_path_factory):
    """Settings pointing at a fresh database and vhost, migrated; removed afterwards (a
    generator for a session fixture)."""
    run = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_test_{run}", f"keyuan-test-{run}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    create_vhost(vhost)
    settings = Settings(env="test", database_url=f"{PG_SERVER}/{database}",
                        amqp_uri=f"{AMQP_SERVER}/{quote(vhost, safe='')}",
                        storage_dir=str(tmp_path_factory.mktemp("files")))
    from kit.migrate import upgrade

    upgrade(settings)
    yield settings
    delete_vhost(vhost)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    """The session's database and vhost (tests/e2e has its own, see its conftest)."""
    yield from fresh_infra(tmp_path_factory)


def engine_of(settings: Settings):
    eng = create_engine(settings.database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def engine(infra):
    yield from engine_of(infra)
