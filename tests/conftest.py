"""Test infrastructure: a RabbitMQ vhost and a PostgreSQL database of our own per test
session, so two runs on one machine never see each other's messages or rows."""

import eventlet

eventlet.monkey_patch()  # before anything imports socket/threading: Nameko runs in-process

import kit  # noqa: E402, F401, I001  (sets PSYCOPG_WAIT_FUNC before psycopg loads)

import os  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from kit.settings import Settings  # noqa: E402

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


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    """Settings pointing at a fresh database and vhost, migrated; removed afterwards."""
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
def engine(infra):
    eng = create_engine(infra.database_url, poolclass=NullPool)
    yield eng
    eng.dispose()
