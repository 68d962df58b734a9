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

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(size: int) -> int:
    """A base port with `size` consecutive free ports after it."""
    for _ in range(50):
        base = free_port()
        if base + size > 65535:
            continue
        try:
            for offset in range(size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port range")


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
    env = {**os.environ,
           "KEYUAN_ENV": "test",
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
    deadline = time.monotonic() + 120
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
