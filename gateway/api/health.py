"""GET /healthz: each service answers a ping (which also touches its database) in time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, jsonify

from contracts.errors import KeyuanError
from gateway.context import gateway
from kit.rpc_client import RemoteError
from kit.settings import SERVICES

bp = Blueprint("health", __name__)

PING_TIMEOUT = 2.0
_pool = ThreadPoolExecutor(max_workers=len(SERVICES), thread_name_prefix="healthz")


@bp.get("/healthz")
def healthz():
    gw = gateway()
    try:
        broker = "ok" if gw.rpc.ping() else "down"
    except KeyuanError as exc:
        broker = f"down: {exc.message}"
    services = {}
    if broker == "ok":
        # the pool's threads have no app context: hand them the gateway itself
        futures = {name: _pool.submit(_ping_with, gw, name) for name in SERVICES}
        services = {name: f.result() for name, f in futures.items()}
    healthy = broker == "ok" and all(s["status"] == "ok" for s in services.values())
    databases = {s["database"] for s in services.values()}
    body = {"status": "ok" if healthy else "degraded", "broker": broker,
            # every service's ping runs SELECT 1 on its own database
            "database": databases.pop() if len(databases) == 1 else "degraded",
            "services": services}
    return jsonify(body), 200 if healthy else 503


def _ping_with(gw, service: str) -> dict:
    began = time.perf_counter()
    try:
        answer = gw.rpc.call(service, "ping", timeout=PING_TIMEOUT)
    except (KeyuanError, RemoteError) as exc:
        return {"status": "down", "database": "unknown",
                "error": str(exc.args[0] if exc.args else exc)}
    return {"status": answer.get("status", "ok"), "database": answer.get("database", "ok"),
            "latency_ms": round((time.perf_counter() - began) * 1000, 1)}
