#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ (with its management API, which the tests use to make a
# vhost per run) answer on this machine. Starts local installs that are stopped; says how to
# get them when they are missing. Uses only what Debian's packages install.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
amqp_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
mgmt_up() { (exec 3<>/dev/tcp/127.0.0.1/15672) 2>/dev/null; }

wait_for() { # name, check, seconds
  for _ in $(seq 1 "$3"); do "$2" && return 0; sleep 1; done
  echo "ensure-services: $1 did not come up in $3 s" >&2; return 1
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    wait_for PostgreSQL pg_up 30
  else
    echo "PostgreSQL is not answering on 127.0.0.1:5432 and is not installed here." >&2
    echo "Install it (apt-get install postgresql) or run: docker compose up -d postgres" >&2
    exit 1
  fi
fi

if ! amqp_up; then
  if command -v rabbitmq-server >/dev/null; then
    echo "starting RabbitMQ ..."
    rabbitmq-server -detached || true
    wait_for RabbitMQ amqp_up 60
  else
    echo "RabbitMQ is not answering on 127.0.0.1:5672 and is not installed here." >&2
    echo "Install it (apt-get install rabbitmq-server) or run: docker compose up -d rabbitmq" >&2
    exit 1
  fi
fi

if ! mgmt_up && command -v rabbitmq-plugins >/dev/null; then
  echo "enabling the RabbitMQ management API ..."
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_for "RabbitMQ management API" mgmt_up 30 || true
fi
echo "PostgreSQL and RabbitMQ are answering."
