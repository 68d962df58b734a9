"""Prometheus: every entrypoint timed per service/method/outcome, and a small HTTP server per
service process for /metrics and /healthz."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Counter, Histogram, make_wsgi_app

from contracts.errors import KeyuanError
from kit.dependency import Provides

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from nameko.containers import WorkerContext

log = logging.getLogger(__name__)

ENTRYPOINT_SECONDS = Histogram(
    "keyuan_entrypoint_duration_seconds", "Time spent in a service entrypoint",
    ["service", "entrypoint", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENTRYPOINT_CALLS = Counter("keyuan_entrypoint_calls_total", "Entrypoint calls",
                           ["service", "entrypoint", "outcome"])


def outcome_of(exc_info: OptExcInfo | None) -> str:
    if exc_info is None:
        return "ok"
    return "rejected" if isinstance(exc_info[1], KeyuanError) else "error"


class Metrics(Provides[None]):
    def setup(self) -> None:
        self.started: WeakKeyDictionary[WorkerContext, float] = WeakKeyDictionary()

    def worker_setup(self, worker_ctx: WorkerContext) -> None:
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: WorkerContext, result: Any = None,
                      exc_info: OptExcInfo | None = None) -> None:
        began = self.started.pop(worker_ctx, None)
        if began is None:
            return
        labels = (self.container.service_name, worker_ctx.entrypoint.method_name,
                  outcome_of(exc_info))
        ENTRYPOINT_SECONDS.labels(*labels).observe(time.perf_counter() - began)
        ENTRYPOINT_CALLS.labels(*labels).inc()

    def get_dependency(self, worker_ctx: WorkerContext) -> None:
        return None


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep access logs out of the service log
        pass


def serve(host: str, port: int, health: Callable[[], dict[str, Any]]) -> WSGIServer:
    """Serve /metrics and /healthz; returns the server (call serve_forever in a thread)."""
    metrics_app: WSGIApplication = make_wsgi_app()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            report = health()
            status = "200 OK" if report.get("status") == "ok" else "503 Service Unavailable"
            body = json.dumps(report).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        return metrics_app(environ, start_response)

    return make_server(host, port, app, handler_class=_QuietHandler)
