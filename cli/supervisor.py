"""`keyuan up`: every service and the gateway as child processes of one supervisor, restarted
if they die, stopped cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import requests

from kit.settings import SERVICES


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the supervisor dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


RESTART_LIMIT = 5          # restarts per process within RESTART_WINDOW
RESTART_WINDOW = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, env: dict) -> None:
        self.process = subprocess.Popen(self.argv, env=env, preexec_fn=_die_with_parent)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    def __init__(self, env: dict | None = None, log=print):
        self.env = dict(env or os.environ)
        self.log = log
        python = sys.executable
        self.children = [Child(name, [python, "-m", "cli.main", "service", name])
                         for name in SERVICES]
        self.children.append(Child("gateway", [python, "-m", "cli.main", "gateway"]))
        self.stopping = False

    def start(self) -> None:
        for child in self.children:
            child.start(self.env)

    def wait_healthy(self, url: str, timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        last: dict | str = "no answer yet"
        while time.monotonic() < deadline:
            for child in self.children:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited with code "
                                       f"{child.process.returncode} while starting")
            try:
                answer = requests.get(f"{url}/healthz", timeout=5)
                body: dict = answer.json()
                last = body
                if answer.status_code == 200:
                    return body
            except (requests.RequestException, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"the suite did not become healthy in {timeout:.0f}s: {last}")

    def watch(self) -> None:
        """Restart children that die, until asked to stop."""
        while not self.stopping:
            for child in self.children:
                if self.stopping or child.alive():
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW]
                if len(child.restarts) >= RESTART_LIMIT:
                    self.log(f"{child.name} keeps dying; giving up on the suite")
                    self.stop()
                    raise SystemExit(1)
                self.log(f"{child.name} exited ({child.process.returncode}); restarting")
                child.restarts.append(now)
                child.start(self.env)
            time.sleep(0.5)

    def stop(self, timeout: float = 20.0) -> None:
        self.stopping = True
        for child in self.children:
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
