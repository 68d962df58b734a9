"""Run one Nameko service in this process: `keyuan service <name>`.

Eventlet must patch the standard library before anything else is imported, so this module
imports the service lazily inside `main`."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import FrameType

SERVICE_CLASSES = {
    "directory": "services.directory.service:DirectoryService",
    "leads": "services.leads.service:LeadsService",
    "customers": "services.customers.service:CustomersService",
    "tasks": "services.tasks.service:TasksService",
    "service_desk": "services.service_desk.service:ServiceDeskService",
    "analytics": "services.analytics.service:AnalyticsService",
}


def service_class(name: str) -> type[Any]:
    module, _, attr = SERVICE_CLASSES[name].partition(":")
    cls: type[Any] = getattr(importlib.import_module(module), attr)
    return cls


def main(name: str) -> int:
    import eventlet

    eventlet.monkey_patch()

    from nameko.runners import ServiceRunner
    from sqlalchemy import text

    import kit  # noqa: F401  (PSYCOPG_WAIT_FUNC before psycopg)
    from kit.db import make_engine
    from kit.metrics import serve
    from kit.settings import get_settings

    logging.basicConfig(level=logging.INFO,
                        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s")
    # Refused requests (KeyuanError: bad input, no access) are logged by Nameko as warnings
    # with a traceback; they are answered to the caller and counted in metrics instead.
    logging.getLogger("nameko.containers").setLevel(logging.ERROR)
    log = logging.getLogger("keyuan.runner")
    settings = get_settings()
    cls = service_class(name)
    config = settings.nameko_config(name) | {"KEYUAN_SETTINGS": settings}
    runner = ServiceRunner(config)
    runner.add_service(cls)
    probe_engine = make_engine(settings.database_url_for(name), pool_size=1)

    def health() -> dict[str, str]:
        report = {"service": name, "consumers": "ok", "database": "ok"}
        if any(c._died.ready() for c in runner.containers):
            report["consumers"] = "stopped"
        try:
            with probe_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            report["database"] = f"error: {type(exc).__name__}"
        report["status"] = "ok" if report["consumers"] == report["database"] == "ok" \
            else "degraded"
        return report

    port = settings.metrics_port_for(name)
    server = serve(settings.metrics_host, port, health)
    eventlet.spawn(server.serve_forever)

    stopping = eventlet.event.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    runner.start()
    log.info("%s started; metrics and health on http://%s:%d", name, settings.metrics_host,
             port)
    runner_done = eventlet.spawn(runner.wait)
    def stop_when_done() -> None:
        runner_done.wait()
        on_signal(0, None)

    watcher = eventlet.spawn(stop_when_done)
    stopping.wait()
    log.info("%s stopping", name)
    try:
        with eventlet.Timeout(15):
            runner.stop()
    except eventlet.Timeout:
        runner.kill()
    watcher.kill()
    server.shutdown()
    probe_engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
