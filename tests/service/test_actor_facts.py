"""Every service authorises from the directory's current facts about its caller, not from the
token's claims: a validly signed token for a user the directory does not know, a role the
user does not have, a deactivated user or a logged-out token is refused; a copy that has not
heard of a user yet reads their fact through from the directory."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy.orm import Session

from contracts import directory
from contracts.actor import Actor, Role
from contracts.errors import ServiceUnavailable, Unauthenticated, ValidationFailed
from kit import auth, clock
from services.analytics.service import AnalyticsService
from services.customers.service import CustomersService
from services.directory import commands
from services.directory.service import DirectoryService
from services.leads.service import LeadsService
from services.service_desk.service import ServiceDeskService
from services.tasks.service import TasksService
from tests.service.conftest import (
    add_customer,
    add_to_directory,
    add_users,
    call,
    count,
    envelope,
    new_lead,
    publish,
    wait_for,
)

# One RPC of each service, and the arguments it is called with after the token.
ONE_RPC = {
    DirectoryService: ("me", ()),
    LeadsService: ("create", (None,)),
    CustomersService: ("list", ()),
    TasksService: ("list", ()),
    ServiceDeskService: ("person_data", ({"customer_ids": []},)),
    AnalyticsService: ("funnel", ()),
}


def rpc_of(container, token: str):
    method, args = ONE_RPC[container.service_cls]
    return call(container, method, token, *args)


@pytest.mark.parametrize("service", list(ONE_RPC), ids=lambda cls: cls.name)
def test_a_validly_signed_token_for_a_user_nobody_knows_is_refused(service, start, world):
    dir_container = start(DirectoryService)
    container = dir_container if service is DirectoryService else start(service)
    world.user("ghost", Role.admin)  # signed with the real key, never a directory user
    with pytest.raises(Unauthenticated, match="does not know"):
        rpc_of(container, world.token("ghost"))


@pytest.mark.parametrize("service", [s for s in ONE_RPC if s is not DirectoryService],
                         ids=lambda cls: cls.name)
def test_the_same_call_as_a_user_the_copy_knows_is_answered(service, start, world):
    container = start(service)
    add_users(container, world.user("root", Role.admin, scopes=("pii:reveal",)))
    if service is LeadsService:
        with pytest.raises(ValidationFailed):  # no lead sent: past the caller check
            rpc_of(container, world.token("root"))
    else:
        assert isinstance(rpc_of(container, world.token("root")), dict)


def test_a_role_the_directory_does_not_give_the_user_is_refused(start, world):
    container = start(CustomersService)
    fact = world.user("a")  # a consultant
    add_users(container, fact)
    claims_admin = Actor(user_id=fact["id"], company_id=world.company, role=Role.admin,
                         scopes=("pii:reveal",))
    forged = auth.issue(claims_admin, world.settings.secret_key, 600, rev=1)[0]
    with pytest.raises(Unauthenticated, match="role"):
        call(container, "list", forged)
    assert call(container, "list", world.token("a"))["total"] == 0


def test_team_projects_and_scopes_come_from_the_directory_not_the_claims(start, world, infra):
    container = start(CustomersService)
    add_users(container, world.user("a"), world.user("boss", Role.director))
    customer = add_customer(container, infra, world, "a", "+8613822220001")
    fact = world.users["boss"]
    # The director's token claims another project and pii:reveal; the directory says
    # world.project and no scope.
    boasting = auth.issue(Actor(user_id=fact["id"], company_id=world.company,
                                role=Role.director, project_ids=(world.other_project,),
                                scopes=("pii:reveal",)),
                          world.settings.secret_key, 600, rev=1)[0]
    shown = call(container, "get", boasting, customer)
    assert shown["phone"] == "138****0001"  # no pii:reveal after all
    assert [c["id"] for c in call(container, "list", boasting)["items"]] == [customer]


def test_a_deactivated_users_token_is_refused_on_the_next_call(start, world, infra):
    container = start(CustomersService)
    add_users(container, world.user("a"))
    token = world.token("a")
    assert call(container, "list", token)["total"] == 0
    publish(infra, "directory", envelope("directory", directory.USER_UPSERTED,
                                         world.changed("a", active=False)))

    def refused():
        try:
            call(container, "list", token)
        except Unauthenticated as exc:
            return "deactivated" in exc.message
        return False

    wait_for(refused)


def test_a_user_the_copy_has_not_heard_of_yet_is_read_through(start, world, engine):
    start(DirectoryService)
    container = start(CustomersService)
    world.user("new", Role.manager)
    fact = add_to_directory(engine, world, "new", publish_it=False)
    assert count(engine, "SELECT count(*) FROM customers.users WHERE id = :u", u=fact["id"]) == 0
    assert call(container, "list", world.token("new"))["total"] == 0
    held = count(engine, "SELECT revision FROM customers.users WHERE id = :u", u=fact["id"])
    assert held == fact["revision"]  # kept, as user.upserted would have


def test_a_copy_older_than_the_token_reads_the_newer_fact_through(start, world, engine):
    start(DirectoryService)
    container = start(CustomersService)
    world.user("back")
    add_users(container, {**world.users["back"], "active": False})  # the copy: deactivated
    add_to_directory(engine, world, "back", publish_it=False)
    add_to_directory(engine, world, "back", publish_it=False)           # reactivated since
    assert world.users["back"]["revision"] == 2
    assert call(container, "list", world.token("back"))["total"] == 0  # the token's rev is 2
    assert count(engine, "SELECT count(*) FROM customers.users WHERE id = :u AND active "
                 "AND revision = 2", u=world.users["back"]["id"]) == 1


def test_a_copy_as_new_as_the_token_is_not_read_through(world, infra, container_factory):
    # No directory answers here (rpc_timeout 1 s): the copy alone decides for a user it knows.
    settings = infra.model_copy(update={"rpc_timeout_seconds": 1.0})
    container = container_factory(CustomersService, settings.nameko_config("customers")
                                  | {"KEYUAN_SETTINGS": settings})
    container.start()
    add_users(container, world.user("a"))
    assert call(container, "list", world.token("a"))["total"] == 0
    world.user("unknown")  # but whom it does not know, nobody can vouch for: refused
    with pytest.raises(ServiceUnavailable, match="directory"):
        call(container, "list", world.token("unknown"))


def test_logout_ends_the_token_in_the_directory_and_in_every_copy(start, world, engine):
    dir_container = start(DirectoryService)
    customers_container = start(CustomersService)
    world.user("a")
    fact = add_to_directory(engine, world, "a")
    add_users(customers_container, fact)
    token, other = world.token("a"), world.token("a")
    assert call(dir_container, "me", token)["id"] == fact["id"]
    assert call(customers_container, "list", token)["total"] == 0

    assert call(dir_container, "logout", token)["logged_out"] is True
    assert call(dir_container, "logout", token)["logged_out"] is True  # again: harmless
    jti = auth.decode(token, world.settings.secret_key)["jti"]
    assert count(engine, "SELECT count(*) FROM directory.outbox WHERE event_type = :t "
                 "AND envelope->'payload'->>'jti' = :j", t=directory.TOKEN_REVOKED, j=jti) == 1
    with pytest.raises(Unauthenticated, match="logged out"):
        call(dir_container, "me", token)

    def refused():
        try:
            call(customers_container, "list", token)
        except Unauthenticated as exc:
            return "logged out" in exc.message
        return False

    wait_for(refused)
    assert call(customers_container, "list", other)["total"] == 0  # only that one token


def test_logged_out_tokens_are_forgotten_once_they_would_have_expired(start, world, engine):
    container = start(TasksService)
    now = clock.now()
    for jti, expires in (("gone", now - timedelta(seconds=1)),
                         ("kept", now + timedelta(hours=1))):
        body = directory.TokenRevoked(jti=f"{jti}-{world.company.hex}", user_id=uuid.uuid4(),
                                      company_id=world.company, expires_at=expires)
        with entrypoint_hook(container, "on_token_revoked") as handle:
            handle(envelope("directory", directory.TOKEN_REVOKED, body.model_dump(mode="json")))
    call(container, "prune_revoked_tokens")
    left = {jti for jti in ("gone", "kept")
            if count(engine, "SELECT count(*) FROM tasks.revoked_tokens WHERE jti = :j",
                     j=f"{jti}-{world.company.hex}")}
    assert left == {"kept"}


def test_a_company_gets_its_system_user_once(world, engine):
    with Session(engine) as session:
        commands.upsert_company(session, world.company, "测试公司")
        commands.upsert_company(session, world.company, "测试公司（改名）")
        session.commit()
    system = auth.system_user_id(world.company)
    assert count(engine, "SELECT count(*) FROM directory.users WHERE id = :u AND "
                 "role = 'integration' AND active", u=system) == 1
    assert count(engine, "SELECT count(*) FROM directory.outbox WHERE event_type = :t AND "
                 "envelope->'payload'->>'id' = :u", t=directory.USER_UPSERTED,
                 u=str(system)) == 1


def test_nobody_logs_in_as_the_system_user(start, world, engine):
    container = start(DirectoryService)
    with Session(engine) as session:
        commands.upsert_company(session, world.company, "测试公司")
        session.commit()
    with pytest.raises(Unauthenticated):
        call(container, "login", {"username": f"system@{world.company}", "password": "!"})


def test_a_lead_entered_by_a_user_the_copy_knows_goes_through(start, world, infra):
    container = start(LeadsService)
    add_users(container, world.user("a"))
    with entrypoint_hook(container, "on_project_upserted") as project:
        project(envelope("directory", directory.PROJECT_UPSERTED, world.project_fact()))
    assert call(container, "create", world.token("a"), new_lead(world, "13833330001"),
                str(uuid.uuid4()))["status"] == "created"
