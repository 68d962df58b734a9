"""Imports in bulk: the uploaded file, the job, and its rows in batches of ~1,000.

Each batch is one transaction: look up the batch's phones in one query (customers' own
phones and their extra phones), insert the new customer keys in one statement (a conflict,
or an extra phone added since, means someone else has that customer meanwhile: merged),
insert the leads, their outbox events and the report lines, add to the job's counters,
commit. A crash loses at most a batch; running the job again skips the rows
its report (import_rows, primary key job_id + row_number) already holds, so nothing is ever
created twice. A job is run by whoever holds its advisory lock, which lives as long as the
runner's connection, so any number of replicas (and the CLI) can look for work."""

from __future__ import annotations

import base64
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import (
    Connection,
    Engine,
    LargeBinary,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from contracts import leads as c
from contracts.actor import Actor
from contracts.errors import Forbidden, KeyuanError, ValidationFailed
from kit import clock, outbox
from kit.crypto import Vault
from kit.db import copy_rows
from services.leads import imports, store
from services.leads.imports import CREATED, MERGED, POOL, REJECTED, ROUND_ROBIN, ParsedRow
from services.leads.intake import PORTRAIT_COLUMNS
from services.leads.store import Base, ImportJob, ImportRow, Lead

log = logging.getLogger(__name__)

BATCH = 1000
NAME = imports.LEAD_FIELDS.index("name")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# Runs a CPU-bound pure function elsewhere: offload(function, *args) -> its result.
Offload = Callable[..., Any]
FILE_CONTEXT = "import_file"


class ImportFile(Base):
    """The uploaded list, encrypted like every phone at rest (it is full of them)."""

    __tablename__ = "import_files"
    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str | None] = mapped_column(Text)


def seal_file(vault: Vault, content: bytes) -> bytes:
    return vault.encrypt(base64.b64encode(content).decode(), FILE_CONTEXT).encode()


def open_file(vault: Vault, sealed: bytes) -> bytes:
    return base64.b64decode(vault.decrypt(bytes(sealed).decode(), FILE_CONTEXT))


# ---------------------------------------------------------------- the job

def create_job(session: Session, vault: Vault, *, job_id: uuid.UUID, company_id: uuid.UUID,
               project_id: uuid.UUID, created_by: uuid.UUID, filename: str, content: bytes,
               content_type: str | None, mapping: dict | None, plan: imports.ColumnPlan,
               channel: c.Channel, assign: str, status: str = QUEUED) -> None:
    """Store the job and its file in the caller's transaction. `mapping` (JSONB) keeps the
    client's mapping, the columns it resolved to, and the job's options."""
    session.add(ImportJob(
        id=job_id, company_id=company_id, project_id=project_id, created_by=created_by,
        status=status, filename=filename[:200], created_at=clock.now(),
        mapping={"mapping": mapping, **plan.describe(), "channel": channel.value,
                 "assign": assign},
        total=0, created=0, merged=0, rejected=0))
    session.add(ImportFile(job_id=job_id, content=seal_file(vault, content),
                           content_type=content_type))


@dataclass(frozen=True)
class Checked:
    plan: imports.ColumnPlan
    assign: str


def _inline(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


def check(session: Session, actor: Actor, project_id: uuid.UUID, filename: str,
          content: bytes, mapping: dict | None, assign: str,
          offload: Offload = _inline) -> Checked:
    """Everything about an upload that can be refused at once, each naming its field: the
    project, the caller's right, the file's size and format, the header, the owner.
    `offload(function, *args)` runs the reading of the file (seconds for a big workbook):
    a service passes eventlet's tpool.execute so its other workers keep answering."""
    check_upload(session, actor, project_id, content)
    plan = imports.plan_columns(offload(imports.read_headers, content, filename), mapping)
    owner = imports.parse_assign(assign, actor)
    if owner not in (POOL, ROUND_ROBIN) and not active_consultant(
            session, uuid.UUID(owner), project_id):
        raise ValidationFailed("not an active consultant of the project", "assign")
    return Checked(plan, owner)


def check_upload(session: Session, actor: Actor, project_id: uuid.UUID,
                 content: bytes) -> None:
    """The project, the caller's right to import to it, the file's size: for an import and
    for its preview alike."""
    project = store.project(session, project_id)
    if project is None or project.company_id != actor.company_id:
        raise ValidationFailed("unknown project", "project_id")
    if not imports.may_import(actor, project_id):
        raise Forbidden("you may not import leads for this project", "project_id")
    if len(content) > imports.MAX_FILE_BYTES:
        raise imports.too_large()
    if not content:
        raise ValidationFailed("the file is empty", "file")


def active_consultant(session: Session, user_id: uuid.UUID, project_id: uuid.UUID) -> bool:
    u = store.Users.c
    return session.execute(select(u.id).where(
        u.id == user_id, u.role == "consultant", u.active.is_(True),
        u.project_ids.any(project_id))).first() is not None


def status_view(job: ImportJob) -> dict:
    options = job.mapping or {}
    return {
        "job_id": str(job.id), "project_id": str(job.project_id), "filename": job.filename,
        "status": job.status, "total": job.total,
        "processed": job.created + job.merged + job.rejected,
        "created": job.created, "merged": job.merged, "rejected": job.rejected,
        "error": job.error, "columns": options.get("columns", {}),
        "ignored_columns": options.get("ignored", []), "channel": options.get("channel"),
        "assign": options.get("assign"), "created_by": str(job.created_by),
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def report_page(session: Session, job_id: uuid.UUID, outcome: str | None, offset: int,
                limit: int) -> tuple[int, list[dict]]:
    where = [ImportRow.job_id == job_id]
    if outcome:
        where.append(ImportRow.outcome == outcome)
    total = session.execute(select(func.count()).select_from(ImportRow).where(*where)
                            ).scalar_one()
    rows = session.scalars(select(ImportRow).where(*where).order_by(ImportRow.row_number)
                           .offset(offset).limit(limit))
    return total, [{"row": r.row_number, "outcome": r.outcome, "reason": r.reason,
                    "field": r.field, "customer_id": r.customer_id and str(r.customer_id),
                    "lead_id": r.lead_id and str(r.lead_id)} for r in rows]


def report_lines(session: Session, job_id: uuid.UUID) -> Iterator[imports.ReportRow]:
    r = ImportRow.__table__.c
    result = session.execute(
        select(r.row_number, r.outcome, r.reason, r.field, r.customer_id)
        .where(r.job_id == job_id).order_by(r.row_number)
        .execution_options(yield_per=2000))
    for row in result:
        yield imports.ReportRow(*row)


def report_workbook(session: Session, job: ImportJob,
                    pause: Callable[[], object] | None = None,
                    offload: Offload = _inline) -> tuple[str, bytes]:
    """(file name, .xlsx) of a job's report: every row, then a summary sheet."""
    lines = []
    for number, line in enumerate(report_lines(session, job.id), start=1):
        if pause is not None and number % 1000 == 0:
            pause()
        lines.append(line)
    ignored = (job.mapping or {}).get("ignored", [])
    content = offload(imports.report_xlsx, lines, {
        "文件": job.filename, "状态": job.status, "总行数": job.total, "新建": job.created,
        "合并": job.merged, "拒绝": job.rejected, "忽略的列": "、".join(ignored) or "无"})
    return f"导入报告-{job.filename.rsplit('.', 1)[0]}.xlsx", content


# ---------------------------------------------------------------- one batch

@dataclass(frozen=True)
class Target:
    job_id: uuid.UUID
    company_id: uuid.UUID
    project_id: uuid.UUID
    created_by: uuid.UUID
    assign: str = POOL


@dataclass
class Counts:
    created: int = 0
    merged: int = 0
    rejected: int = 0

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


# One statement for a batch's new customers, whatever its size: arrays, not 1,000 VALUES.
NEW_KEYS = text(f"""
    INSERT INTO {store.SCHEMA}.customer_keys (customer_id, company_id, phone_index, first_lead_id,
                                     owner_id, owner_since, created_at, project_id, name,
                                     phone_masked, grade)
    SELECT k.customer_id, :company_id, k.phone_index, k.first_lead_id, k.owner_id,
           CASE WHEN k.owner_id IS NULL THEN NULL ELSE CAST(:now AS timestamptz) END,
           :now, :project_id, k.name, k.phone_masked, k.grade
    FROM unnest(CAST(:customer_id AS uuid[]), CAST(:phone_index AS text[]),
                CAST(:first_lead_id AS uuid[]), CAST(:owner_id AS uuid[]),
                CAST(:name AS text[]), CAST(:phone_masked AS text[]), CAST(:grade AS text[]))
         AS k(customer_id, phone_index, first_lead_id, owner_id, name, phone_masked, grade)
    WHERE NOT EXISTS (SELECT 1 FROM {store.SCHEMA}.phone_aliases a
                      WHERE a.company_id = :company_id AND a.phone_index = k.phone_index)
    ON CONFLICT (company_id, phone_index) DO NOTHING
    RETURNING phone_index""")


def _owners(session: Session, target: Target, count: int):
    if count == 0:
        return []
    if target.assign == ROUND_ROBIN:
        rotation = store.lock_rotation(session, target.project_id)
        chosen, rotation.last_user_id = imports.owners(
            ROUND_ROBIN, count, store.assignable_consultants(session, target.project_id),
            rotation.last_user_id)
        return chosen
    active = target.assign == POOL or active_consultant(
        session, uuid.UUID(target.assign), target.project_id)
    return imports.owners(target.assign, count, [], None, chosen_active=active)[0]


def _event(event_type: str, payload, now) -> dict:
    """An outbox row exactly as outbox.record writes it."""
    env = outbox.envelope(c.SERVICE, event_type, payload.model_dump(mode="json"))
    return {"id": env.id, "event_type": event_type,
            "envelope": Jsonb(env.model_dump(mode="json")), "created_at": now,
            "next_attempt_at": now}


def _plain(value):
    return value.value if isinstance(value, Enum) else value


def store_batch(session: Session, vault: Vault, target: Target, rows: list[ParsedRow]
                ) -> Counts:
    """Store one batch in the caller's transaction (the caller commits)."""
    now = clock.now()
    valid = [r for r in rows if r.values is not None]
    sealed = {}
    for r in valid:
        if r.e164 not in sealed:
            sealed[r.e164] = vault.seal_phone(r.e164)
    # Phones the company knows: customers' own and their extra phones (aliases).
    keys = store.phone_customers(session, target.company_id,
                                 [s.index for s in sealed.values()])
    lead_ids = {r.number: uuid.uuid4() for r in valid}

    # The first row of a phone the company does not know yet creates the customer.
    creators: dict[str, ParsedRow] = {}
    for r in valid:
        index = sealed[r.e164].index
        if index not in keys and index not in creators:
            creators[index] = r
    planned = {index: (uuid.uuid4(), assignment) for index, assignment in
               zip(creators, _owners(session, target, len(creators)), strict=True)}
    created: set[str] = set()
    if creators:
        columns = {
            "customer_id": [planned[index][0] for index in creators],
            "phone_index": list(creators),
            "first_lead_id": [lead_ids[r.number] for r in creators.values()],
            "owner_id": [planned[index][1].owner_id for index in creators],
            "name": [r.values[NAME] for r in creators.values()],
            "phone_masked": [sealed[r.e164].masked for r in creators.values()],
            "grade": [r.grade for r in creators.values()],
        }
        created = set(session.scalars(NEW_KEYS, {
            **columns, "company_id": target.company_id, "project_id": target.project_id,
            "now": now}))
        keys.update({index: (planned[index][0], planned[index][1].owner_id)
                     for index in created})
        raced = [index for index in creators if index not in created]
        # Stored meanwhile by someone else, or made an extra phone since we looked.
        keys.update(store.phone_customers(session, target.company_id, raced))

    counts = Counts()
    leads, events, report = [], [], []
    for r in rows:
        if r.values is None:
            counts.count(REJECTED)
            report.append({"job_id": target.job_id, "row_number": r.number,
                           "outcome": REJECTED, "reason": r.reason, "field": r.field,
                           "lead_id": None, "customer_id": None})
            continue
        phone = sealed[r.e164]
        customer_id, owner_id = keys[phone.index]
        new = phone.index in created and creators[phone.index] is r
        if new:
            assignment = planned[phone.index][1]
            strategy, why, outcome, reason = (assignment.strategy, assignment.reason,
                                              CREATED, None)
        else:
            strategy, why, outcome = ("existing", "phone already known: linked to existing "
                                      "customer", MERGED)
            reason = r.reason or "phone already a customer of the company (已有客户)"
        counts.count(outcome)
        lead_id = lead_ids[r.number]
        lead = dict(zip(imports.LEAD_FIELDS, r.values, strict=True))   # validated already
        channel = lead["channel"]
        leads.append({
            "id": lead_id, "company_id": target.company_id, "project_id": target.project_id,
            "customer_id": customer_id, "channel": channel.value,
            "sub_source": lead["sub_source"], "name": lead["name"], "phone_enc": phone.enc,
            "phone_index": phone.index, "note": lead["note"],
            "status": "created" if new else "duplicate", "owner_id": owner_id,
            "assignment_strategy": strategy, "assignment_reason": why, "source": "import",
            "import_job_id": target.job_id, "created_by": target.created_by,
            "created_at": now, "grade": r.grade, "grade_reason": r.grade_reason,
            **{name: _plain(lead.get(name)) for name in PORTRAIT_COLUMNS}})
        events.append(_event(c.LEAD_CREATED, c.LeadCreated(
            lead_id=lead_id, customer_id=customer_id, company_id=target.company_id,
            project_id=target.project_id, channel=channel, sub_source=lead["sub_source"],
            name=lead["name"], phone=phone, duplicate=not new, owner_id=owner_id,
            created_at=now, source="import", grade=r.grade,
            portrait=c.LeadPortrait.of(lead),
            referrer_customer_id=lead.get("referrer_customer_id")), now))
        if new:
            events.append(_event(c.LEAD_ASSIGNED, c.LeadAssigned(
                lead_id=lead_id, customer_id=customer_id, company_id=target.company_id,
                project_id=target.project_id, owner_id=owner_id, strategy=strategy,
                reason=why), now))
        report.append({"job_id": target.job_id, "row_number": r.number, "outcome": outcome,
                       "reason": reason, "field": None if new else "phone",
                       "lead_id": lead_id, "customer_id": customer_id})

    # The report lines go first: a second runner of the same rows stops at their key.
    copy_rows(session, ImportRow.__table__, report)
    copy_rows(session, Lead.__table__, leads)
    copy_rows(session, store.Outbox, events)
    outbox.written(session)
    j = ImportJob.__table__.c
    session.execute(update(ImportJob.__table__).where(j.id == target.job_id).values(
        created=j.created + counts.created, merged=j.merged + counts.merged,
        rejected=j.rejected + counts.rejected))
    return counts


# ---------------------------------------------------------------- running a job

@dataclass
class RunResult:
    job_id: uuid.UUID
    status: str
    total: int = 0
    created: int = 0
    merged: int = 0
    rejected: int = 0
    skipped: int = 0              # rows an earlier run had already stored
    parse_seconds: float = 0.0
    store_seconds: float = 0.0
    error: str | None = None
    ignored_columns: list[str] = field(default_factory=list)


def lock_key(job_id: uuid.UUID) -> int:
    return int.from_bytes(job_id.bytes[:8], "big", signed=True)


@contextlib.contextmanager
def job_connection(engine: Engine) -> Iterator[Connection]:
    """A connection of its own for running one job: the job's advisory lock lives on it and
    dies with it (a crashed runner's job is free for the next one)."""
    conn = engine.connect()
    try:
        yield conn
    finally:
        try:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock_all()"))
            conn.commit()
        except Exception:
            conn.invalidate()   # never hand a connection holding a lock back to the pool
        conn.close()


def try_lock(conn: Connection, job_id: uuid.UUID) -> bool:
    got = conn.execute(select(func.pg_try_advisory_lock(lock_key(job_id)))).scalar_one()
    conn.commit()
    return bool(got)


def claim_next(conn: Connection) -> uuid.UUID | None:
    """The oldest queued (or interrupted) job nobody else is running, locked for us."""
    j = ImportJob.__table__.c
    ids = conn.execute(
        select(j.id).where(j.status.in_((QUEUED, RUNNING))).order_by(j.created_at).limit(20)
        .with_for_update(skip_locked=True)).scalars().all()
    for job_id in ids:
        if conn.execute(select(func.pg_try_advisory_lock(lock_key(job_id)))).scalar_one():
            conn.commit()
            return job_id
    conn.commit()
    return None


def _never() -> bool:
    return False


def run(conn: Connection, vault: Vault, job_id: uuid.UUID, *,
        pause: Callable[[], object] | None = None,
        progress: Callable[[int, int], object] | None = None,
        stopping: Callable[[], bool] = _never, batch: int = BATCH,
        offload: Offload = _inline) -> RunResult:
    """Run (or resume) a job whose advisory lock `conn` holds. `offload` runs the parsing
    (see check); `pause` is called between batches."""
    session = Session(bind=conn, expire_on_commit=False)
    try:
        return _run(session, vault, job_id, pause, progress, stopping, batch, offload)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _run(session: Session, vault: Vault, job_id: uuid.UUID, pause, progress, stopping,
         batch: int, offload: Offload) -> RunResult:
    j = ImportJob.__table__.c
    job = session.get(ImportJob, job_id)
    if job is None or job.status in (DONE, FAILED):
        return RunResult(job_id, job.status if job else "missing")
    sealed = session.get(ImportFile, job_id)
    options = job.mapping or {}
    rules = store.project_settings(session, job.project_id)
    session.commit()

    began = time.perf_counter()
    try:
        plan, rows = offload(imports.parse_all, open_file(vault, sealed.content), job.filename,
                             job.project_id, options.get("mapping"),
                             c.Channel(options.get("channel", "other")), rules)
    except KeyuanError as exc:
        session.execute(update(ImportJob.__table__).where(j.id == job_id).values(
            status=FAILED, error=f"{exc.field}: {exc.message}"[:1000],
            finished_at=clock.now()))
        session.commit()
        return RunResult(job_id, FAILED, error=exc.message)
    del sealed
    result = RunResult(job_id, RUNNING, total=len(rows), ignored_columns=plan.ignored,
                       parse_seconds=time.perf_counter() - began)
    session.execute(update(ImportJob.__table__).where(j.id == job_id).values(
        status=RUNNING, total=len(rows), started_at=func.coalesce(j.started_at, clock.now())))
    done = set(session.scalars(select(ImportRow.row_number)
                               .where(ImportRow.job_id == job_id)))
    session.commit()

    todo = [r for r in rows if r.number not in done]
    result.skipped = len(rows) - len(todo)
    target = Target(job_id, job.company_id, job.project_id, job.created_by,
                    options.get("assign", POOL))
    stored = result.skipped
    if progress:
        progress(stored, len(rows))
    began = time.perf_counter()
    for start in range(0, len(todo), batch):
        if stopping():
            result.store_seconds = time.perf_counter() - began
            return result
        chunk = todo[start:start + batch]
        store_batch(session, vault, target, chunk)
        session.commit()
        stored += len(chunk)
        if progress:
            progress(stored, len(rows))
        if pause:
            pause()
    result.store_seconds = time.perf_counter() - began

    # Counters from the report itself: exact however many runs it took.
    counts = dict(session.execute(
        select(ImportRow.outcome, func.count()).where(ImportRow.job_id == job_id)
        .group_by(ImportRow.outcome)).tuples().all())
    result.created, result.merged, result.rejected = (counts.get(CREATED, 0),
                                                      counts.get(MERGED, 0),
                                                      counts.get(REJECTED, 0))
    session.execute(update(ImportJob.__table__).where(j.id == job_id).values(
        status=DONE, finished_at=clock.now(), created=result.created, merged=result.merged,
        rejected=result.rejected))
    session.commit()
    result.status = DONE
    return result


def run_next(engine: Engine, vault: Vault, *, pause: Callable[[], object] | None = None,
             stopping: Callable[[], bool] = _never,
             offload: Offload = _inline) -> RunResult | None:
    """Find a job nobody is running and run it. A database that went away leaves the job
    running for a later try; anything else unexpected fails the job with the error."""
    with job_connection(engine) as conn:
        job_id = claim_next(conn)
        if job_id is None:
            return None
        try:
            return run(conn, vault, job_id, pause=pause, stopping=stopping, offload=offload)
        except Exception as exc:
            if transient(exc):
                log.warning("import %s interrupted, will resume: %s", job_id, exc)
                return RunResult(job_id, RUNNING, error=str(exc))
            log.exception("import %s failed", job_id)
            fail(engine, job_id, f"internal error ({type(exc).__name__}); the rows stored "
                                 "so far stay, see the report")
            return RunResult(job_id, FAILED, error=str(exc))


def transient(exc: BaseException) -> bool:
    """A database that went away, or a batch another runner stored first: try again later
    (the rerun skips what is stored). Anything else is a bug or bad data: fail the job."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    constraint = getattr(getattr(getattr(exc, "orig", None), "diag", None), "constraint_name",
                         None)
    return isinstance(exc, IntegrityError) and constraint == "import_rows_pkey"


def import_now(engine: Engine, vault: Vault, actor: Actor, project_id: uuid.UUID,
               filename: str, content: bytes, *, mapping: dict | None = None,
               channel: c.Channel = c.Channel.other, assign: str = POOL,
               content_type: str | None = None,
               progress: Callable[[int, int], object] | None = None,
               batch: int = BATCH) -> RunResult:
    """The command line's and the benchmark's way: check, store the job and run it in this
    process, holding its lock from the start so no service replica takes it meanwhile. If
    this process dies, the job is left running and a leads service finishes it."""
    job_id = uuid.uuid4()
    with job_connection(engine) as conn:
        try_lock(conn, job_id)
        with Session(bind=conn) as session:
            checked = check(session, actor, project_id, filename, content, mapping, assign)
            create_job(session, vault, job_id=job_id, company_id=actor.company_id,
                       project_id=project_id, created_by=actor.user_id, filename=filename,
                       content=content, content_type=content_type, mapping=mapping,
                       plan=checked.plan, channel=channel, assign=checked.assign,
                       status=RUNNING)
            session.commit()
        return run(conn, vault, job_id, progress=progress, batch=batch)


def fail(engine: Engine, job_id: uuid.UUID, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(ImportJob.__table__).where(ImportJob.__table__.c.id == job_id)
                     .values(status=FAILED, error=error[:1000], finished_at=clock.now()))
