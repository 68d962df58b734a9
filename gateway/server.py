"""`keyuan gateway`: the app under gunicorn with gthread workers (gunicorn 26 dropped the
eventlet worker; services are called through the thread-safe pooled RPC client)."""

from __future__ import annotations

import os
import shutil
import tempfile

from gunicorn.app.base import BaseApplication

from kit.settings import get_settings


class GatewayServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from gateway.app import create_app

        return create_app()


def _mark_worker_dead(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def main() -> int:
    settings = get_settings()
    if settings.gateway_workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = tempfile.mkdtemp(prefix="keyuan-gateway-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    options = {
        "bind": settings.gateway_bind,
        "workers": settings.gateway_workers,
        "threads": settings.gateway_threads,
        "worker_class": "gthread",
        "timeout": int(settings.rpc_timeout_seconds * 3),
        "graceful_timeout": 10,
        "accesslog": "-" if settings.env != "test" else None,
        "worker_tmp_dir": tempfile.gettempdir(),
        "child_exit": _mark_worker_dead if settings.gateway_workers > 1 else None,
        # gunicorn's control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl):
        # two suites on one machine would take it from each other. We do not use it.
        "control_socket_disable": True,
    }
    try:
        GatewayServer({k: v for k, v in options.items() if v is not None}).run()
    finally:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
        if folder.startswith(tempfile.gettempdir()) and "keyuan-gateway-metrics" in folder:
            shutil.rmtree(folder, ignore_errors=True)
    return 0
