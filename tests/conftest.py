"""Test infrastructure: a RabbitMQ vhost and a PostgreSQL database of our own per test
session, so two runs on one machine never see each other's messages or rows."""

import eventlet

eventlet.monkey_patch()  # before anything imports socket/threading: Nameko runs in-process

import kit  # noqa: E402, F401, I001  (sets PSYCOPG_WAIT_FUNC before psycopg loads)

from tests.infra import (  # noqa: E402, F401  (fixtures and helpers every test dir uses)
    AMQP_SERVER,
    PG_SERVER,
    RABBIT_API,
    create_vhost,
    delete_vhost,
    engine,
    infra,
)

# The browser tests run in a pytest process of their own, without eventlet (see
# tests/web/conftest.py and the Makefile).
collect_ignore = ["web"]
