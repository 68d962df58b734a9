"""Lead import entrypoints (a mixin of LeadsService): start a job, run jobs on a timer,
answer its status and report. The work is in imports (pure) and import_store (bulk).

Reading a big workbook takes seconds of pure CPU, which would stall every other worker of
this eventlet process (live intake included): it runs in eventlet's native thread pool
(tpool.execute), and the batches yield between them."""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import eventlet
from eventlet import tpool
from nameko.timer import timer
from sqlalchemy import Engine

from contracts.actor import Actor
from contracts.errors import NotFound, parse
from kit.dependency import Provides
from kit.service import Worker, rpc
from services.leads import import_store, imports, store
from services.leads.import_store import ImportFile  # noqa: F401  (its table in the metadata)

if TYPE_CHECKING:
    from nameko.containers import WorkerContext

log = logging.getLogger(__name__)

class StopSignal(Provides[Callable[[], bool]]):
    """Tells a long timer worker that its service is stopping, so it ends after the batch
    in hand instead of holding up the shutdown (the job resumes wherever it runs next)."""

    def get_dependency(self, worker_ctx: WorkerContext) -> Callable[[], bool]:
        stop = getattr(worker_ctx.entrypoint, "should_stop", None)
        return lambda: stop is not None and stop.ready()


def _job_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such import", "job_id") from None


class LeadImports(Worker):
    """Mixin of LeadsService: uses its db, keys."""

    stopping = StopSignal()

    def _visible_job(self, actor: Actor, job_id) -> store.ImportJob:
        job = self.db.get(store.ImportJob, _job_id(job_id))
        if job is None or not imports.may_see_job(actor, job.company_id, job.project_id,
                                                  job.created_by):
            raise NotFound("no such import", "job_id")
        return job

    @rpc
    def start_import(self, token: str, request: dict) -> dict:
        """Check the upload and its header now; the rows are stored by the timer."""
        actor = self.keys.actor(token)
        wanted = imports.validate_request(request)
        content = imports.decode_content(wanted.content_b64)
        checked = import_store.check(self.db, actor, wanted.project_id, wanted.filename,
                                     content, wanted.mapping, wanted.assign,
                                     offload=tpool.execute)
        job_id = uuid.uuid4()
        import_store.create_job(
            self.db, self.keys.vault, job_id=job_id, company_id=actor.company_id,
            project_id=wanted.project_id, created_by=actor.user_id, filename=wanted.filename,
            content=content, content_type=wanted.content_type, mapping=wanted.mapping,
            plan=checked.plan, channel=wanted.channel, assign=checked.assign)
        self.db.commit()
        return {"job_id": str(job_id), "status": import_store.QUEUED,
                "columns": checked.plan.describe()["columns"],
                "ignored_columns": checked.plan.ignored}

    @rpc
    def preview_import(self, token: str, request: dict) -> dict:
        """The header as start_import would read it (with the mapping given, if any), what
        is missing and the first rows, without starting anything: the mapping step."""
        actor = self.keys.actor(token)
        wanted = imports.validate_request(request)
        content = imports.decode_content(wanted.content_b64)
        import_store.check_upload(self.db, actor, wanted.project_id, content)
        return tpool.execute(imports.preview_table, content, wanted.filename, wanted.mapping)

    @rpc
    def import_status(self, token: str, job_id: str) -> dict:
        return import_store.status_view(self._visible_job(self.keys.actor(token), job_id))

    @rpc
    def import_report(self, token: str, job_id: str, query: dict | None = None) -> dict:
        job = self._visible_job(self.keys.actor(token), job_id)
        wanted = parse(imports.ReportQuery, query)
        total, rows = import_store.report_page(self.db, job.id, wanted.outcome,
                                               (wanted.page - 1) * wanted.page_size,
                                               wanted.page_size)
        return {"job_id": str(job.id), "status": job.status, "total": total,
                "page": wanted.page, "page_size": wanted.page_size, "rows": rows}

    @rpc
    def import_report_xlsx(self, token: str, job_id: str) -> dict:
        job = self._visible_job(self.keys.actor(token), job_id)
        filename, content = import_store.report_workbook(self.db, job, pause=eventlet.sleep,
                                                         offload=tpool.execute)
        return {"filename": filename, "content_type": imports.XLSX_TYPE,
                "content_b64": base64.b64encode(content).decode()}

    @timer(interval=1)
    def run_imports(self) -> None:
        """Run one waiting (or interrupted) job, if any; every replica may look."""
        try:
            engine = cast(Engine, self.db.get_bind())   # kit.db.Database's engine
            import_store.run_next(engine, self.keys.vault, pause=eventlet.sleep,
                                  stopping=self.stopping, offload=tpool.execute)
        except Exception:
            log.exception("looking for import jobs failed")

