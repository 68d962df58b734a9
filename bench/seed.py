"""What the benches that load a team's customers share: a fresh database and vhost of their
own, a company with one project and one team made through the directory's own commands, and
customers loaded fast with COPY into the customers service's profiles (real vault-sealed
phones) and the leads service's customer index (bench/offboard.py, bench/desk_customers.py).
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.lead_intake import (
    AMQP_SERVER,
    PG_SERVER,
    create_database,
    create_vhost,
    delete_vhost,
    drop_database,
)
from kit import auth
from kit.crypto import Vault
from kit.settings import Settings
from services.directory import commands, domain, store

# Every bench user's password (the directory's policy accepts it).
BENCH_PASSWORD = "Bench@2026-x"
CONSULTANT_NAMES = ("陈静", "王磊", "李娜", "张伟", "刘洋", "杨帆", "赵敏", "黄涛", "周婷", "吴昊")


@contextlib.contextmanager
def fresh_database(keep: bool = False):
    """A database and vhost of the bench's own, migrated; removed afterwards (the database
    stays with `keep`, to study its plans). KEYUAN_ENV is test, as in the test suite: the
    development keys, nothing of anyone else's."""
    from kit.migrate import upgrade

    run_id = uuid.uuid4().hex[:10]
    database, vhost = f"keyuan_bench_{run_id}", f"keyuan-bench-{run_id}"
    with contextlib.ExitStack() as stack:
        create_database(database)
        if keep:
            stack.callback(print, f"database {database} kept", file=sys.stderr)
        else:
            stack.callback(drop_database, database)
        create_vhost(vhost)
        stack.callback(delete_vhost, vhost)
        settings = Settings(env="test", database_url=f"{PG_SERVER}/{database}",
                            amqp_uri=f"{AMQP_SERVER}/{quote(vhost, safe='')}")
        upgrade(settings)
        print(f"database {database} ready", file=sys.stderr)
        yield settings, database


class Team:
    """One company, project and team in the directory: a manager (`bench.0`) and
    `consultants` consultants (`bench.1` ...), all with BENCH_PASSWORD."""

    def __init__(self, engine, consultants: int):
        self.company, self.project, self.team = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.manager = uuid.uuid4()
        self.consultants = [uuid.uuid4() for _ in range(consultants)]
        self.usernames = {}
        with Session(engine) as session:
            commands.upsert_company(session, self.company, "示范地产 (bench)")
            commands.upsert_project(session, self.project, self.company, "滨江壹号", "杭州")
            commands.upsert_team(session, self.team, self.company, "销售一组", self.project)
            people = [(self.manager, "manager"), *((c, "consultant") for c in self.consultants)]
            for number, (user_id, role) in enumerate(people):
                name = "周经理" if role == "manager" else \
                    CONSULTANT_NAMES[(number - 1) % len(CONSULTANT_NAMES)] + \
                    (str(number) if number > len(CONSULTANT_NAMES) else "")
                self.usernames[user_id] = f"bench.{number}"
                commands.upsert_user(session, user_id, self.company, f"bench.{number}",
                                     BENCH_PASSWORD, name, role, self.team, [self.project])
            commands.upsert_team(session, self.team, self.company, "销售一组", self.project,
                                 self.manager)
            session.commit()
        self.people = len(people)

    def token(self, engine, settings, user_id: uuid.UUID | None = None) -> str:
        with Session(engine) as session:
            user = session.get(store.User, user_id or self.manager)
            actor = domain.actor_of(user, self.project)
        return auth.issue(actor, settings.secret_key, 3600)[0]

    def manager_token(self, engine, settings) -> str:
        return self.token(engine, settings, self.manager)


@dataclass
class Customer:
    """One customer as loaded: what the profile and the leads' index hold."""

    owner_id: uuid.UUID | None
    phone: str                              # E.164, sealed by the vault when loaded
    created_at: datetime
    name: str = "客户"
    stage: str = "new"
    channel: str = "walk_in"
    updated_at: datetime | None = None      # default created_at
    stage_entered_at: datetime | None = None
    last_followup_at: datetime | None = None
    grade: str | None = None
    portrait: str = "{}"                    # JSON
    completeness: int = 0
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    first_lead_id: uuid.UUID = field(default_factory=uuid.uuid4)


def copy_customers(raw, team: Team, vault: Vault, customers: list[Customer]) -> None:
    """COPY the customers into leads.customer_keys and customers.customers on a raw psycopg
    connection (the caller commits)."""
    sealed = [vault.seal_phone(c.phone) for c in customers]
    with raw.cursor() as cur:
        with cur.copy("COPY leads.customer_keys (customer_id, company_id, phone_index, "
                      "first_lead_id, owner_id, created_at, project_id, name, "
                      "phone_masked, owner_since, owner_revision) FROM STDIN") as copy:
            for c, s in zip(customers, sealed, strict=True):
                copy.write_row((c.id, team.company, s.index, c.first_lead_id, c.owner_id,
                                c.created_at, team.project, c.name, s.masked, c.created_at, 1))
        with cur.copy("COPY customers.customers (id, company_id, project_id, name, "
                      "phone_enc, phone_index, phone_masked, owner_id, stage, channel, "
                      "first_lead_id, created_at, updated_at, version, owner_revision, "
                      "stage_entered_at, last_followup_at, grade, grade_set_by, portrait, "
                      "completeness) FROM STDIN") as copy:
            for c, s in zip(customers, sealed, strict=True):
                copy.write_row((c.id, team.company, team.project, c.name, s.enc, s.index,
                                s.masked, c.owner_id, c.stage, c.channel, c.first_lead_id,
                                c.created_at, c.updated_at or c.created_at, 1, 1,
                                c.stage_entered_at or c.created_at, c.last_followup_at,
                                c.grade, "lead" if c.grade else None, c.portrait,
                                c.completeness))


def vacuum(engine, tables: tuple[str, ...]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def wait_for_copies(engine, team: Team, timeout: float,
                    schemas: tuple[str, ...] = ("leads", "customers", "tasks")) -> None:
    """The directory's user facts reached the services' read copies."""
    deadline = time.monotonic() + timeout
    for schema in schemas:
        while scalar(engine, f"SELECT count(*) FROM {schema}.users WHERE company_id = :c",
                     c=team.company) < team.people:
            if time.monotonic() > deadline:
                raise SystemExit(f"{schema}.users did not fill within {timeout:.0f}s")
            time.sleep(0.2)


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()
