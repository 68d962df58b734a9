"""`keyuan import FILE --project P`: import a lead list straight into the leads schema.

An admin tool: it runs the same parsing and bulk store as the leads service's import jobs
in this process, against the database, with no service running. The job and its report
are stored as for an upload (GET /api/imports/<id> shows it)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

PROGRESS_EVERY = 0.2  # seconds between two redraws of the progress line


class Progress:
    """`\\r12,000/100,000 rows  8,400 rows/s` on stderr."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.began = time.perf_counter()
        self.first: int | None = None
        self.drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first, self.began = done, now   # rows an earlier run stored are not speed
        if now - self.drawn < PROGRESS_EVERY and done < total:
            return
        self.drawn = now
        rate = (done - self.first) / (now - self.began) if now > self.began else 0.0
        self.stream.write(f"\r{done:,}/{total:,} rows  {rate:,.0f} rows/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.first is not None:
            self.stream.write("\n")
            self.stream.flush()


def add_parser(sub) -> None:
    parser = sub.add_parser("import", help="import leads from an .xlsx or .csv file")
    parser.add_argument("file", help="the .xlsx or .csv list")
    parser.add_argument("--project", required=True, help="project id, or its name")
    parser.add_argument("--mapping", help='JSON {"column header": "field"}, e.g. '
                                          '\'{"客户手机": "phone"}\'')
    parser.add_argument("--channel", default="other",
                        help="channel of rows without one (default other)")
    parser.add_argument("--assign", default="pool",
                        help="pool (default), round_robin, or a consultant's user id")
    parser.add_argument("--as", dest="username", default="admin",
                        help="the directory user the import is made as (default admin)")
    parser.add_argument("--report", help="also write the per-row report to this .xlsx")
    parser.set_defaults(func=cmd_import)


def _refuse(message: str) -> int:
    print(f"keyuan import: {message}", file=sys.stderr)
    return 2


def _actor(settings, username: str):
    from sqlalchemy.orm import Session

    from contracts.actor import Actor
    from kit.db import make_engine
    from services.directory import store as directory

    engine = make_engine(settings.database_url_for("directory"), pool_size=1)
    try:
        with Session(engine) as session:
            user = directory.user_by_username(session, username)
            if user is None or not user.active:
                return None
            return Actor(user_id=user.id, company_id=user.company_id, role=user.role,
                         name=user.name, team_id=user.team_id,
                         project_ids=tuple(user.project_ids or ()))
    finally:
        engine.dispose()


def _project_id(session, company_id: uuid.UUID, given: str) -> uuid.UUID | None:
    from sqlalchemy import select

    from services.leads import store

    p = store.Projects.c
    try:
        wanted = uuid.UUID(given)
        where = p.id == wanted
    except ValueError:
        where = p.name == given
    return session.scalars(select(p.id).where(where, p.company_id == company_id)).first()


def cmd_import(args) -> int:
    from sqlalchemy.orm import Session

    from contracts.errors import KeyuanError
    from contracts.leads import Channel
    from kit.crypto import Vault
    from kit.db import make_engine
    from kit.settings import get_settings
    from services.leads import import_store, store

    path = Path(args.file)
    if not path.is_file():
        return _refuse(f"no such file: {path}")
    try:
        mapping = json.loads(args.mapping) if args.mapping else None
        if mapping is not None and not isinstance(mapping, dict):
            raise ValueError
    except ValueError:
        return _refuse('--mapping must be a JSON object like {"客户手机": "phone"}')
    try:
        channel = Channel(args.channel)
    except ValueError:
        return _refuse(f"--channel must be one of {', '.join(c.value for c in Channel)}")

    settings = get_settings()
    actor = _actor(settings, args.username)
    if actor is None:
        return _refuse(f"no active user {args.username!r} in the directory (use --as)")
    engine = make_engine(settings.database_url_for("leads"), pool_size=1)
    progress = Progress()
    try:
        with Session(engine) as session:
            project_id = _project_id(session, actor.company_id, args.project)
        if project_id is None:
            return _refuse(f"no project {args.project!r} in {args.username}'s company "
                           "(the leads service learns projects from the directory: has "
                           "`keyuan up` run since it was created?)")
        result = import_store.import_now(
            engine, Vault.from_settings(settings), actor, project_id, path.name,
            path.read_bytes(), mapping=mapping, channel=channel, assign=args.assign,
            progress=progress)
        progress.close()
        if args.report:
            with Session(engine) as session:
                job = session.get_one(store.ImportJob, result.job_id)
                Path(args.report).write_bytes(import_store.report_workbook(session, job)[1])
    except KeyuanError as exc:
        progress.close()
        return _refuse(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    finally:
        engine.dispose()
    print(summary(result, path.name))
    if args.report:
        print(f"report: {args.report}")
    return 0 if result.status == import_store.DONE else 1


def summary(result, filename: str) -> str:
    lines = [f"import {result.job_id} of {filename}: {result.status}",
             f"  rows      {result.total:,}",
             f"  created   {result.created:,}",
             f"  merged    {result.merged:,}",
             f"  rejected  {result.rejected:,}"]
    if result.ignored_columns:
        lines.append(f"  ignored columns: {', '.join(result.ignored_columns)}")
    if result.error:
        lines.append(f"  error: {result.error}")
    seconds = result.parse_seconds + result.store_seconds
    if seconds and result.total:
        lines.append(f"  {seconds:.1f}s ({result.total / seconds:,.0f} rows/s)")
    return "\n".join(lines)

