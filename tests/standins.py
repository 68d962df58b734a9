"""Real local HTTP servers standing in for the outside world (WeCom and DingTalk group robots,
an SMS provider): they record what arrives and answer as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROBOT_OK = (200, {"errcode": 0, "errmsg": "ok"})


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict

    @property
    def text(self) -> str:
        """The content of a robot's text message."""
        return self.body.get("text", {}).get("content", "")


def answer_always(status: int = 200, body: dict | str | None = None):
    answer = (status, ROBOT_OK[1] if body is None else body)
    return lambda number: answer


def fail_first(times: int, status: int = 500):
    """Answers `status` to the first `times` requests, then as a robot that took it."""
    return lambda number: (status, "temporarily unavailable") if number <= times else ROBOT_OK


class StandIn:
    """`answer(n)` → (status, JSON body or text) for the n-th request (from 1); `delay`
    seconds before answering (green under eventlet, like any socket here)."""

    def __init__(self, answer: Callable[[int], tuple[int, dict | str]] | None = None,
                 delay: float = 0.0):
        self.answer = answer or answer_always()
        self.delay = delay
        self.received: list[Received] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
                parts = urlsplit(self.path)
                with stand_in._lock:
                    stand_in.received.append(Received(
                        parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                        dict(self.headers.items()), body))
                    number = len(stand_in.received)
                if stand_in.delay:
                    time.sleep(stand_in.delay)
                status, reply = stand_in.answer(number)
                data = (json.dumps(reply) if isinstance(reply, dict) else reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def texts(self) -> list[str]:
        with self._lock:
            return [r.text for r in self.received]
