"""Service tests: real Nameko containers on the session's vhost and database."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from kombu import Connection, Producer
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text
from sqlalchemy.orm import Session

from contracts import directory
from contracts.actor import Actor, Role
from contracts.leads import LEAD_CREATED, LeadCreated
from kit import auth, clock, outbox
from kit.crypto import Vault
from tests.waiting import eventually


def purge_event_queues(settings, service: str) -> None:
    """Each test's service starts with empty event queues: events earlier tests left there
    (an import's thousands of lead.created) belong to them, not to this test."""
    from kit.settings import SERVICES
    from kit.topology import event_subscriptions

    if service not in SERVICES:
        return
    # And its RPC queue: a request whose caller gave up in an earlier test (a read-your-
    # writes check bounded at 3 s) would otherwise be served here, to nobody, holding a
    # worker while it waits for services this test never started.
    queues = [queue for _, _, queue in event_subscriptions(service)] + [f"rpc-{service}"]
    with Connection(settings.amqp_uri) as conn:
        channel = conn.channel()
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:
                channel = conn.channel()


@pytest.fixture(autouse=True)
def earlier_tests_events_forgotten(engine):
    """Events an earlier test left unpublished in an outbox (an import's thousands of
    lead.created whose container was killed mid-relay) are marked sent before each test:
    else this test's first relay publishes them all ahead of its own, and a consumer works
    through another test's backlog before it reaches this test's event (under load, past
    the test's patience). Within a test, a restarted replica still relays what the killed
    one left: that is what the crash tests prove."""
    with engine.begin() as db:
        schemas = db.scalars(text("SELECT table_schema FROM information_schema.tables "
                                  "WHERE table_name = 'outbox'")).all()
        for schema in schemas:
            db.execute(text(f'UPDATE "{schema}".outbox SET sent_at = now() '
                            "WHERE sent_at IS NULL"))


@pytest.fixture
def start(infra, container_factory):
    """Start a service class in a container of this test; killed at the test's end."""

    def _start(cls, keep_queued: bool = False):
        if not keep_queued:
            purge_event_queues(infra, cls.name)
        config = infra.nameko_config(cls.name) | {"KEYUAN_SETTINGS": infra}
        container = container_factory(cls, config)
        container.start()
        return container

    return _start


class World:
    """A company of our own per test: ids, tokens, and facts in directory form."""

    def __init__(self, settings):
        self.settings = settings
        self.company = uuid.uuid4()
        self.project = uuid.uuid4()
        self.other_project = uuid.uuid4()
        self.team = uuid.uuid4()
        self.other_team = uuid.uuid4()
        self.users: dict[str, dict] = {}

    def user(self, key: str, role: Role = Role.consultant, team=None, projects=None,
             active: bool = True, on_duty: bool = True, scopes: tuple[str, ...] = (),
             revision: int = 1) -> dict:
        """A user's fact as the directory publishes it (user.upserted). Services authorise
        from their copy of it: put it there (add_users) before calling as them."""
        fact = directory.UserFact(
            id=uuid.uuid4(), company_id=self.company, name=key, role=role,
            team_id=team if team is not None else (
                self.team if role in (Role.consultant, Role.manager) else None),
            project_ids=list(projects if projects is not None else [self.project]),
            active=active, on_duty=on_duty, revision=revision, username=key,
            scopes=list(scopes))
        self.users[key] = fact.model_dump(mode="json")
        return self.users[key]

    def system(self) -> dict:
        """The company's `system` integration user as the directory makes and publishes it
        with the company (the tasks service's notifier calls the customers service as it)."""
        from services.directory.domain import SCOPES_BY_ROLE

        fact = directory.UserFact(
            id=auth.system_user_id(self.company), company_id=self.company, name="系统 system",
            role=Role.integration, team_id=None, project_ids=[], active=True, on_duty=False,
            revision=1, username=f"system@{self.company}",
            scopes=list(SCOPES_BY_ROLE[Role.integration]))
        self.users["system"] = fact.model_dump(mode="json")
        return self.users["system"]

    def changed(self, key: str, **change) -> dict:
        """The user's next fact (revision + 1) with `change` applied, as the directory would
        publish it after an edit."""
        fact = {**self.users[key], **change, "revision": self.users[key]["revision"] + 1}
        self.users[key] = directory.UserFact.model_validate(fact).model_dump(mode="json")
        return self.users[key]

    def token(self, key: str) -> str:
        """The user's token as the directory's login issues it (their claims, a fresh jti,
        rev = the fact's revision)."""
        fact = self.users[key]
        actor = Actor(user_id=fact["id"], company_id=fact["company_id"], role=fact["role"],
                      name=key, team_id=fact["team_id"], project_ids=tuple(fact["project_ids"]),
                      scopes=tuple(fact["scopes"]))
        return auth.issue(actor, self.settings.secret_key, 600, rev=fact["revision"])[0]

    def project_fact(self, project_id=None, city="杭州") -> dict:
        return directory.ProjectFact(id=project_id or self.project, company_id=self.company,
                                     name="滨江壹号", city=city, revision=1).model_dump(mode="json")


@pytest.fixture
def world(infra) -> World:
    return World(infra)


def envelope(producer: str, event_type: str, payload: dict) -> dict:
    return outbox.envelope(producer, event_type, payload).model_dump(mode="json")


def publish(settings, producer: str, body: dict) -> None:
    """Publish an event exactly as a service's outbox relay would."""
    with Connection(settings.amqp_uri) as conn:
        Producer(conn.channel(), exchange=outbox.events_exchange(producer),
                 serializer="json").publish(body, routing_key=body["type"], delivery_mode=2)


def wait_for(check: Callable[[], object], timeout: float = 30.0, every: float = 0.05):
    """Poll until check() is truthy; returns its value (fails the test on timeout)."""
    return eventually(check, timeout, every)


def count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


@pytest.fixture
def leads(start, world):
    from services.leads.service import LeadsService

    container = start(LeadsService)
    with entrypoint_hook(container, "on_project_upserted") as project:
        project(envelope("directory", directory.PROJECT_UPSERTED, world.project_fact()))
    return container


def add_users(container, *facts):
    with entrypoint_hook(container, "on_user_upserted") as upsert:
        for fact in facts:
            upsert(envelope("directory", directory.USER_UPSERTED, fact))


def add_to_directory(engine, world, key: str, publish_it: bool = True) -> dict:
    """Make the world's user `key` a directory user (with the company, its system user, the
    world's projects and teams) and return their fact as the directory has it now (the
    world's fact becomes it). Without `publish_it` its user.upserted never leaves the outbox:
    the event "has not arrived" anywhere."""
    from services.directory import commands

    fact = world.users[key]
    with Session(engine) as session:
        commands.upsert_company(session, world.company, "测试公司")
        for project in (world.project, world.other_project):
            session.execute(text(
                "INSERT INTO directory.projects (id, company_id, name, city, revision) "
                "VALUES (:p, :c, '滨江壹号', '杭州', 1) ON CONFLICT DO NOTHING"),
                {"p": project, "c": world.company})
        for team, project in ((world.team, world.project), (world.other_team, None)):
            session.execute(text(
                "INSERT INTO directory.teams (id, company_id, project_id, name, revision) "
                "VALUES (:t, :c, :p, '销售组', 1) ON CONFLICT DO NOTHING"),
                {"t": team, "c": world.company, "p": project})
        user = commands.upsert_user(
            session, uuid.UUID(fact["id"]), world.company, f"{key}.{fact['id'][:8]}",
            "Keyuan@2026", key, fact["role"],
            uuid.UUID(fact["team_id"]) if fact["team_id"] else None,
            [uuid.UUID(p) for p in fact["project_ids"]], active=fact["active"])
        user.scopes = list(fact["scopes"])  # granted (the role's own are added to them)
        if not publish_it:
            session.execute(text(
                "DELETE FROM directory.outbox WHERE sent_at IS NULL "
                "AND envelope->'payload'->>'id' = :u"), {"u": fact["id"]})
        session.commit()
        world.users[key] = commands.fact_of(session, user).model_dump(mode="json")
    return world.users[key]


def new_lead(world, phone="13800138000", **extra):
    return {"name": "张三", "phone": phone, "channel": "douyin",
            "project_id": str(world.project), **extra}


def unique_phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def add_customer(container, settings, world, owner: str, phone: str) -> str:
    payload = LeadCreated(
        lead_id=uuid.uuid4(), customer_id=uuid.uuid4(), company_id=world.company,
        project_id=world.project, channel="walk_in", sub_source=None, name=f"客户{owner}",
        phone=Vault.from_settings(settings).seal_phone(phone), duplicate=False,
        owner_id=world.users[owner]["id"], created_at=clock.now())
    with entrypoint_hook(container, "on_lead_created") as handle:
        handle(envelope("leads", LEAD_CREATED, payload.model_dump(mode="json")))
    return str(payload.customer_id)


@pytest.fixture
def customer_desk(start, world, infra):
    from services.customers.service import CustomersService

    container = start(CustomersService)
    add_users(container, world.user("a"), world.user("b"), world.user("mgr", Role.manager),
              world.user("svc", Role.service_agent))
    customer = add_customer(container, infra, world, "a", "+86" + unique_phone())
    yield container, customer
    clock.reset()


def call(container, method, *args):
    """Call one entrypoint of a running container, as a client would."""
    with entrypoint_hook(container, method) as rpc:
        return rpc(*args)
