"""Start the whole suite the way `make up` does (`keyuan up`) on this session's database and
vhost, on free ports, and stop it at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.infra import engine_of, fresh_infra

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked `stops_suite` stop the shared suite: they run after every other test of
    this folder, whatever their names or the order they were given in, and before the tests
    of the folders after it (no suite left running beside them)."""
    here = Path(__file__).parent
    stoppers = [item for item in items if item.get_closest_marker("stops_suite")]
    if not stoppers:
        return
    rest = [item for item in items if not item.get_closest_marker("stops_suite")]
    ours = [n for n, item in enumerate(rest) if here in Path(item.path).parents]
    cut = ours[-1] + 1 if ours else len(rest)
    items[:] = rest[:cut] + stoppers + rest[cut:]


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    """The suite's own database and vhost, not the service tests': its relays would publish
    their outbox rows and its consumers take their events (they share a pytest session)."""
    yield from fresh_infra(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(infra):
    """On the suite's database. Its own fixture: the root `engine` is session-scoped too, and
    the first folder to ask for it would hand its database to every later test."""
    yield from engine_of(infra)


# Below Linux's ephemeral range (32768-60999): a port the kernel picked for bind(0) may be
# handed to one of the suite's own outgoing connections (to RabbitMQ, PostgreSQL) before the
# service that was meant to listen on it binds it. Ports are taken from here at random.
PORT_LOW, PORT_HIGH = 20000, 32000
_taken: set[int] = set()


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_range(size: int) -> int:
    """A base port with `size` consecutive free ports after it, none given out before."""
    import random

    for _ in range(200):
        base = random.randrange(PORT_LOW, PORT_HIGH - size)
        ports = range(base, base + size)
        if _taken.isdisjoint(ports) and all(_bindable(p) for p in ports):
            _taken.update(ports)
            return base
    raise RuntimeError("no free port range")


def free_port() -> int:
    return free_port_range(1)


class Suite:
    def __init__(self, process: subprocess.Popen, url: str, metrics_base: int, log: Path):
        self.process, self.url, self.metrics_base, self.log = process, url, metrics_base, log
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            answer = requests.post(f"{self.url}/api/auth/login", timeout=10,
                                   json={"username": username, "password": "Keyuan@2026"})
            assert answer.status_code == 200, answer.text
            self._tokens[username] = answer.json()["token"]
        return self._tokens[username]

    def get(self, path: str, user: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        return requests.get(f"{self.url}{path}", headers=headers, timeout=15, **kwargs)

    def post(self, path: str, user: str | None = None, headers: dict | None = None, **kwargs):
        return self.send("POST", path, user, headers, **kwargs)

    def put(self, path: str, user: str | None = None, headers: dict | None = None, **kwargs):
        return self.send("PUT", path, user, headers, **kwargs)

    def send(self, method: str, path: str, user: str | None, headers: dict | None, **kwargs):
        merged = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        merged.update(headers or {})
        return requests.request(method, f"{self.url}{path}", headers=merged, timeout=15,
                                **kwargs)


@pytest.fixture(scope="session")
def suite(infra, tmp_path_factory):
    port, metrics_base = free_port(), free_port_range(6)
    # `keyuan up` makes its secrets file (here, not in the repository) and the variables win
    # over it: the suite runs on the session's keys, which the tests share (the vault).
    env = {**os.environ,
           "KEYUAN_ENV": "test",
           "KEYUAN_SECRETS_FILE": str(tmp_path_factory.mktemp("secrets") / "secrets.env"),
           "KEYUAN_SECRET_KEY": infra.secret_key,
           "KEYUAN_DATA_KEY": infra.data_key,
           "KEYUAN_INDEX_KEY": infra.index_key,
           "KEYUAN_DATABASE_URL": infra.database_url,
           "KEYUAN_AMQP_URI": infra.amqp_uri,
           "KEYUAN_GATEWAY_BIND": f"127.0.0.1:{port}",
           "KEYUAN_METRICS_PORT_BASE": str(metrics_base),
           "KEYUAN_GATEWAY_WORKERS": "2",
           "KEYUAN_STORAGE_DIR": infra.storage_dir}
    log = tmp_path_factory.mktemp("suite") / "keyuan-up.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "cli.main", "up"], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    # `keyuan up` itself waits up to 90 s for health and 60 s for the events to settle.
    deadline = time.monotonic() + 240
    while "Ctrl-C stops everything" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            _kill_group(process)
            pytest.fail(f"keyuan up did not come up:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.3)
    running = Suite(process, url, metrics_base, log)
    yield running
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(60)
    _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    """Whatever of the suite is still running, stop it (children included)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
