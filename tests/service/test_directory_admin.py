"""Directory administration on a real directory container: who may administer whom, the
rules a plan must follow, the facts each change publishes (read from the directory's
outbox), idempotent creates and the password lifecycle."""

from __future__ import annotations

import functools
import uuid

import eventlet
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from contracts import directory
from contracts.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from kit.rpc_client import RpcClient
from services.directory import admin_rules, commands, domain
from services.directory.service import DirectoryService
from services.directory.store import Team, User
from tests.service.conftest import call, wait_for

PASSWORD = "Keyuan@2026"          # what the seeded users log in with
INITIAL = "Jade7river42"          # an initial password an admin sets
CHOSEN = "Lantern9harbour"        # the one the user then chooses


@functools.cache
def seeded_hash() -> str:
    return domain.hash_password(PASSWORD)


class Org:
    """A company of this test in the directory's own tables: two projects (杭州, 上海), a
    team in each, an admin, a director of 杭州, a manager and a consultant per team."""

    def __init__(self, engine, container):
        self.engine, self.container = engine, container
        self.tag = "t" + uuid.uuid4().hex[:6]  # a letter first: "mgr.hz.<tag>" never holds "hz.a"
        self.company = uuid.uuid4()
        self.hz, self.sh = uuid.uuid4(), uuid.uuid4()
        self.hz_team, self.sh_team = uuid.uuid4(), uuid.uuid4()
        self.ids: dict[str, uuid.UUID] = {}
        with Session(engine) as s:
            commands.upsert_company(s, self.company, "测试地产")
            commands.upsert_project(s, self.hz, self.company, "滨江壹号", "杭州")
            commands.upsert_project(s, self.sh, self.company, "浦东云境", "上海")
            s.commit()
            for key, role, projects in (
                    ("admin", "admin", [self.hz, self.sh]), ("director", "director", [self.hz]),
                    ("mgr.hz", "manager", []), ("hz.chen", "consultant", []),
                    ("mgr.sh", "manager", []), ("sh.zhao", "consultant", [])):
                self.ids[key] = uuid.uuid4()
                # One argon2 hash for all (hashing costs ~0.4 s here).
                commands.publish_user(s, User(
                    id=self.ids[key], company_id=self.company, username=self.name(key),
                    password_hash=seeded_hash(), name=key, role=role, team_id=None,
                    project_ids=projects, scopes=[], active=True, on_duty=True, revision=0,
                    must_change_password=False))
            s.commit()
            commands.upsert_team(s, self.hz_team, self.company, "杭州一组", self.hz,
                                 self.ids["mgr.hz"])
            commands.upsert_team(s, self.sh_team, self.company, "上海一组", self.sh,
                                 self.ids["mgr.sh"])
            s.commit()
            for key, team in (("mgr.hz", self.hz_team), ("hz.chen", self.hz_team),
                              ("mgr.sh", self.sh_team), ("sh.zhao", self.sh_team)):
                user = s.get(User, self.ids[key])
                user.team_id = team
                commands.publish_user(s, user)
            s.commit()
        self._tokens: dict[str, str] = {}

    def name(self, key: str) -> str:
        """Usernames are unique across the installation: each test's carry its tag."""
        return f"{key}.{self.tag}"

    def token(self, key: str) -> str:
        if key not in self._tokens:
            self._tokens[key] = call(self.container, "login", {
                "username": self.name(key), "password": PASSWORD})["token"]
        return self._tokens[key]

    def events(self, event_type: str | None = None) -> list[dict]:
        """This company's facts in the directory's outbox, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT envelope FROM directory.outbox WHERE envelope->'payload'->>'company_id'"
                " = :c ORDER BY created_at, id"), {"c": str(self.company)}).scalars().all()
        return [r for r in rows if event_type is None or r["type"] == event_type]

    def facts(self, event_type: str, entity_id) -> list[dict]:
        return [e["payload"] for e in self.events(event_type)
                if e["payload"]["id"] == str(entity_id)]

    def row(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).one()


@pytest.fixture
def desk(start):
    return start(DirectoryService)


@pytest.fixture
def org(engine, desk) -> Org:
    return Org(engine, desk)


def refused(exc_type, field: str | None, method: str, *args, container=None):
    """Call and expect a refusal naming `field`."""
    with pytest.raises(exc_type) as caught:
        call(container, method, *args)
    assert caught.value.field == field, caught.value
    return caught.value


# --- projects ---------------------------------------------------------------------------

def test_an_admin_creates_and_changes_a_project_and_each_change_is_published(org, desk):
    before = len(org.events())
    made = call(desk, "create_project", org.token("admin"),
                {"name": "西湖天地", "city": "杭州", "districts": ["西湖区", "上城区", "西湖区"]})
    assert made["created"] is True
    project = made["project"]
    assert project["districts"] == ["西湖区", "上城区"] and project["active"] is True
    [fact] = org.facts(directory.PROJECT_UPSERTED, project["id"])
    assert fact["districts"] == ["西湖区", "上城区"] and fact["active"] is True
    assert fact["city"] == "杭州" and fact["revision"] == project["revision"]

    changed = call(desk, "update_project", org.token("admin"), project["id"],
                   {"districts": ["西湖区", "拱墅区"], "active": False})
    assert changed["districts"] == ["西湖区", "拱墅区"] and changed["active"] is False
    latest = org.facts(directory.PROJECT_UPSERTED, project["id"])[-1]
    assert latest["active"] is False and latest["revision"] == changed["revision"]
    # The same PATCH again changes nothing and publishes nothing.
    again = call(desk, "update_project", org.token("admin"), project["id"],
                 {"districts": ["西湖区", "拱墅区"], "active": False})
    assert again["revision"] == changed["revision"]
    assert len(org.events()) == before + 2
    assert call(desk, "get_project", org.token("admin"), project["id"]) == changed


def test_old_project_facts_without_districts_still_parse():
    fact = directory.ProjectFact.model_validate({
        "id": str(uuid.uuid4()), "company_id": str(uuid.uuid4()), "name": "滨江壹号",
        "city": "杭州", "revision": 3})
    assert fact.districts == [] and fact.active is True


def test_projects_are_listed_with_filters_and_pages_within_sight(org, desk):
    for name, city in (("西溪里", "杭州"), ("外滩源", "上海"), ("钱江府", "杭州")):
        call(desk, "create_project", org.token("admin"), {"name": name, "city": city})
    admin = org.token("admin")
    hangzhou = call(desk, "list_projects", admin, {"city": "杭州"})
    assert {p["name"] for p in hangzhou["items"]} == {"滨江壹号", "西溪里", "钱江府"}
    assert hangzhou["total"] == 3
    first = call(desk, "list_projects", admin, {"page_size": 2})
    second = call(desk, "list_projects", admin, {"page_size": 2, "page": 2})
    assert first["total"] == second["total"] == 5
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    assert [p["name"] for p in call(desk, "list_projects", admin, {"q": "钱江"})["items"]] == [
        "钱江府"]
    # A director and a manager see their own project only; a consultant none at all.
    assert [p["id"] for p in call(desk, "list_projects", org.token("director"))["items"]] == [
        str(org.hz)]
    assert [p["id"] for p in call(desk, "list_projects", org.token("mgr.sh"))["items"]] == [
        str(org.sh)]
    refused(Forbidden, None, "list_projects", org.token("hz.chen"), {}, container=desk)
    refused(NotFound, "project_id", "get_project", org.token("director"), str(org.sh),
            container=desk)
    refused(ValidationFailed, "active", "list_projects", admin, {"active": "maybe"},
            container=desk)


def test_only_admins_create_or_change_projects(org, desk):
    before = len(org.events())
    for who in ("director", "mgr.hz", "hz.chen"):
        refused(Forbidden, None, "create_project", org.token(who),
                {"name": "x", "city": "杭州"}, container=desk)
        refused(Forbidden, None, "update_project", org.token(who), str(org.hz),
                {"name": "x"}, container=desk)
    refused(NotFound, "project_id", "update_project", org.token("admin"), str(uuid.uuid4()),
            {"name": "x"}, container=desk)
    refused(ValidationFailed, "name", "update_project", org.token("admin"), str(org.hz),
            {"name": None}, container=desk)
    refused(ValidationFailed, "city", "create_project", org.token("admin"), {"name": "x"},
            container=desk)
    # A project with an active team stays active until the team is moved or deactivated.
    refused(Conflict, "active", "update_project", org.token("admin"), str(org.hz),
            {"active": False}, container=desk)
    assert org.row("SELECT active FROM directory.projects WHERE id = :p", p=org.hz).active
    assert len(org.events()) == before


def test_a_create_retried_with_its_idempotency_key_makes_one_project(org, desk):
    key = str(uuid.uuid4())
    body = {"name": "未来城", "city": "杭州"}
    first = call(desk, "create_project", org.token("admin"), body, key)
    again = call(desk, "create_project", org.token("admin"), body, key)
    assert first["created"] is True and again["created"] is False
    assert again["project"]["id"] == first["project"]["id"]
    assert len(org.facts(directory.PROJECT_UPSERTED, first["project"]["id"])) == 1
    assert org.row("SELECT count(*) AS n FROM directory.projects WHERE company_id = :c "
                   "AND name = '未来城'", c=org.company).n == 1
    refused(Conflict, "Idempotency-Key", "create_project", org.token("admin"),
            {"name": "别的项目", "city": "杭州"}, key, container=desk)


# --- teams ------------------------------------------------------------------------------

def test_a_director_makes_a_team_in_their_project_and_its_manager_moves_into_it(org, desk):
    director = org.token("director")
    manager = call(desk, "create_user", director, {
        "username": org.name("mgr.new"), "name": "新经理", "role": "manager",
        "password": INITIAL, "project_ids": [str(org.hz)]})["user"]
    made = call(desk, "create_team", director, {
        "name": "杭州二组", "project_id": str(org.hz), "manager_id": manager["id"]})
    team = made["team"]
    assert made["created"] and team["manager_id"] == manager["id"] and team["members"] == 1
    [fact] = org.facts(directory.TEAM_UPSERTED, team["id"])
    assert fact["project_id"] == str(org.hz) and fact["manager_id"] == manager["id"]
    assert fact["active"] is True
    moved = org.facts(directory.USER_UPSERTED, manager["id"])[-1]
    assert moved["team_id"] == team["id"] and moved["project_ids"] == [str(org.hz)]
    # Not in another's project, not with a consultant as the manager, nor someone else's.
    before = len(org.events())
    refused(ValidationFailed, "project_id", "create_team", director,
            {"name": "上海二组", "project_id": str(org.sh)}, container=desk)
    refused(ValidationFailed, "project_id", "create_team", director,
            {"name": "无项目", "project_id": str(uuid.uuid4())}, container=desk)
    refused(ValidationFailed, "manager_id", "create_team", director,
            {"name": "杭州三组", "project_id": str(org.hz),
             "manager_id": str(org.ids["hz.chen"])}, container=desk)
    refused(ValidationFailed, "manager_id", "create_team", director,
            {"name": "杭州三组", "project_id": str(org.hz),
             "manager_id": str(org.ids["mgr.sh"])}, container=desk)
    refused(ValidationFailed, "manager_id", "create_team", org.token("admin"),
            {"name": "杭州三组", "project_id": str(org.hz),
             "manager_id": str(org.ids["mgr.hz"])}, container=desk)   # manages another team
    assert len(org.events()) == before


def test_a_manager_reads_their_own_team_and_administers_nothing(org, desk):
    manager = org.token("mgr.hz")
    assert call(desk, "get_team", manager, str(org.hz_team))["name"] == "杭州一组"
    assert [t["id"] for t in call(desk, "list_teams", manager)["items"]] == [str(org.hz_team)]
    refused(NotFound, "team_id", "get_team", manager, str(org.sh_team), container=desk)
    refused(Forbidden, None, "update_team", manager, str(org.hz_team), {"name": "改名"},
            container=desk)
    refused(Forbidden, None, "update_team", manager, str(org.sh_team), {"name": "改名"},
            container=desk)
    refused(Forbidden, None, "create_team", manager,
            {"name": "x", "project_id": str(org.hz)}, container=desk)
    refused(Forbidden, None, "list_teams", org.token("hz.chen"), {}, container=desk)
    refused(NotFound, "team_id", "update_team", org.token("director"), str(org.sh_team),
            {"name": "改名"}, container=desk)
    assert org.row("SELECT name FROM directory.teams WHERE id = :t", t=org.sh_team).name == \
        "上海一组"


def test_a_team_moved_to_another_project_republishes_its_members(org, desk):
    admin = org.token("admin")
    revisions = {k: org.facts(directory.USER_UPSERTED, org.ids[k])[-1]["revision"]
                 for k in ("mgr.hz", "hz.chen")}
    moved = call(desk, "update_team", admin, str(org.hz_team), {"project_id": str(org.sh)})
    assert moved["project_id"] == str(org.sh)
    for key in ("mgr.hz", "hz.chen"):
        latest = org.facts(directory.USER_UPSERTED, org.ids[key])[-1]
        assert latest["project_ids"] == [str(org.sh)], key
        assert latest["revision"] > revisions[key]
    assert org.facts(directory.TEAM_UPSERTED, org.hz_team)[-1]["project_id"] == str(org.sh)
    # Deactivating a team with active members is refused until they are moved.
    refused(Conflict, "active", "update_team", admin, str(org.hz_team), {"active": False},
            container=desk)
    teams = call(desk, "list_teams", admin, {"project_id": str(org.sh)})["items"]
    assert {t["name"] for t in teams} == {"杭州一组", "上海一组"}


# --- users ------------------------------------------------------------------------------

def new_consultant(org, key: str, team=None, **extra) -> dict:
    return {"username": org.name(key), "name": key, "role": "consultant", "password": INITIAL,
            "team_id": str(team or org.hz_team), **extra}


def test_an_admin_creates_a_user_who_must_change_the_initial_password(org, desk):
    made = call(desk, "create_user", org.token("admin"),
                new_consultant(org, "hz.new", scopes=["pii:reveal"]))
    user = made["user"]
    assert made["created"] and user["must_change_password"] is True
    assert user["effective_project_ids"] == [str(org.hz)] and user["scopes"] == ["pii:reveal"]
    [fact] = org.facts(directory.USER_UPSERTED, user["id"])
    assert fact["team_id"] == str(org.hz_team) and fact["project_ids"] == [str(org.hz)]
    assert fact["role"] == "consultant" and fact["scopes"] == ["pii:reveal"]
    assert fact["username"] == org.name("hz.new")

    login = call(desk, "login", {"username": org.name("hz.new"), "password": INITIAL})
    assert login["must_change_password"] is True
    # That token opens nothing but the password change.
    refused(Forbidden, "password", "me", login["token"], container=desk)
    refused(Forbidden, "password", "list_users", login["token"], {}, container=desk)
    refused(ValidationFailed, "old_password", "change_password", login["token"],
            {"old_password": "wrong-one-1", "new_password": CHOSEN}, container=desk)
    refused(ValidationFailed, "new_password", "change_password", login["token"],
            {"old_password": INITIAL, "new_password": "password123"}, container=desk)
    refused(ValidationFailed, "new_password", "change_password", login["token"],
            {"old_password": INITIAL, "new_password": INITIAL}, container=desk)
    # Refusals changed nothing: the initial password still logs in, still to be changed.
    assert call(desk, "login", {"username": org.name("hz.new"),
                                "password": INITIAL})["must_change_password"] is True

    changed = call(desk, "change_password", login["token"],
                   {"old_password": INITIAL, "new_password": CHOSEN})
    assert changed["must_change_password"] is False
    assert call(desk, "me", changed["token"])["id"] == user["id"]
    # A retry of the same change answers the same way; the old password no longer works.
    assert call(desk, "change_password", login["token"], {
        "old_password": INITIAL, "new_password": CHOSEN})["must_change_password"] is False
    refused(Unauthenticated, "password", "login",
            {"username": org.name("hz.new"), "password": INITIAL}, container=desk)
    after = call(desk, "login", {"username": org.name("hz.new"), "password": CHOSEN})
    assert after["must_change_password"] is False
    assert call(desk, "get_user", org.token("admin"), user["id"])["must_change_password"] is False


def test_an_ordinary_token_changes_its_own_password_with_the_old_one(org, desk):
    token = org.token("hz.chen")
    refused(ValidationFailed, "old_password", "change_password", token,
            {"old_password": "Wrong9password", "new_password": CHOSEN}, container=desk)
    assert call(desk, "login", {"username": org.name("hz.chen"), "password": PASSWORD})
    call(desk, "change_password", token, {"old_password": PASSWORD, "new_password": CHOSEN})
    assert call(desk, "login", {"username": org.name("hz.chen"), "password": CHOSEN})


def test_a_user_plan_names_only_the_companys_active_teams_and_projects(org, desk):
    admin, director = org.token("admin"), org.token("director")
    before = len(org.events())
    refused(Conflict, "username", "create_user", admin,
            {**new_consultant(org, "x"), "username": org.name("hz.chen")}, container=desk)
    refused(ValidationFailed, "team_id", "create_user", admin,
            new_consultant(org, "x", team=uuid.uuid4()), container=desk)
    refused(ValidationFailed, "project_ids", "create_user", admin,
            new_consultant(org, "x", project_ids=[str(uuid.uuid4())]), container=desk)
    refused(ValidationFailed, "password", "create_user", admin,
            {**new_consultant(org, "x"), "password": "short1"}, container=desk)
    refused(ValidationFailed, "password", "create_user", admin,
            {**new_consultant(org, "x"), "password": org.name("x") + "2026"}, container=desk)
    refused(ValidationFailed, "role", "create_user", admin,
            {**new_consultant(org, "x"), "role": "wizard"}, container=desk)
    # A director: only their projects' teams, no admins, no scope they do not hold.
    refused(ValidationFailed, "team_id", "create_user", director,
            new_consultant(org, "x", team=org.sh_team), container=desk)
    refused(ValidationFailed, "project_ids", "create_user", director,
            new_consultant(org, "x", project_ids=[str(org.sh)]), container=desk)
    refused(Forbidden, "role", "create_user", director,
            {**new_consultant(org, "x"), "role": "admin"}, container=desk)
    refused(Forbidden, "scopes", "create_user", director,
            new_consultant(org, "x", scopes=["privacy"]), container=desk)
    refused(ValidationFailed, "team_id", "create_user", director,
            {**new_consultant(org, "x"), "team_id": None}, container=desk)   # out of sight
    for who in ("mgr.hz", "hz.chen"):
        refused(Forbidden, None, "create_user", org.token(who), new_consultant(org, "x"),
                container=desk)
    assert len(org.events()) == before
    assert org.row("SELECT count(*) AS n FROM directory.users WHERE username = :u",
                   u=org.name("x")).n == 0


def test_a_user_create_retried_with_its_key_makes_one_user(org, desk):
    key = str(uuid.uuid4())
    body = new_consultant(org, "hz.retry")
    first = call(desk, "create_user", org.token("admin"), body, key)
    again = call(desk, "create_user", org.token("admin"), body, key)
    assert (first["created"], again["created"]) == (True, False)
    assert first["user"]["id"] == again["user"]["id"]
    assert len(org.facts(directory.USER_UPSERTED, first["user"]["id"])) == 1
    # Without the key the same body is a second user with a taken username: 409.
    refused(Conflict, "username", "create_user", org.token("admin"), body, container=desk)


def test_a_role_change_or_team_move_publishes_the_users_fact(org, desk):
    director = org.token("director")
    new_team = call(desk, "create_team", director,
                    {"name": "杭州二组", "project_id": str(org.hz)})["team"]
    chen = str(org.ids["hz.chen"])
    moved = call(desk, "update_user", director, chen, {"team_id": new_team["id"]})
    assert moved["team_id"] == new_team["id"]
    assert org.facts(directory.USER_UPSERTED, chen)[-1]["team_id"] == new_team["id"]
    promoted = call(desk, "update_user", director, chen, {"role": "manager"})
    fact = org.facts(directory.USER_UPSERTED, chen)[-1]
    assert promoted["role"] == "manager" and fact["role"] == "manager"
    assert fact["scopes"] == ["export"]            # the manager's own scopes came with it
    assert fact["revision"] == promoted["revision"]
    # A director cannot move someone out of their sight, nor (de)activate them.
    refused(ValidationFailed, "team_id", "update_user", director, chen,
            {"team_id": str(org.sh_team)}, container=desk)
    refused(Forbidden, "active", "update_user", director, chen, {"active": False},
            container=desk)
    refused(NotFound, "user_id", "update_user", director, str(org.ids["sh.zhao"]),
            {"name": "改名"}, container=desk)
    refused(NotFound, "user_id", "update_user", director, str(org.ids["admin"]),
            {"name": "改名"}, container=desk)
    refused(Forbidden, None, "update_user", org.token("mgr.hz"), chen, {"name": "改名"},
            container=desk)


def test_a_teams_manager_keeps_the_role_until_the_team_has_another(org, desk):
    admin = org.token("admin")
    manager = str(org.ids["mgr.hz"])
    refused(Conflict, "role", "update_user", admin, manager, {"role": "consultant"},
            container=desk)
    refused(Conflict, "team_id", "update_user", admin, manager,
            {"team_id": str(org.sh_team)}, container=desk)
    call(desk, "update_team", admin, str(org.hz_team), {"manager_id": None})
    assert call(desk, "update_user", admin, manager, {"role": "consultant"})["role"] == \
        "consultant"


def test_an_admin_deactivates_a_user_whose_logins_then_fail(org, desk):
    zhao = str(org.ids["sh.zhao"])
    done = call(desk, "update_user", org.token("admin"), zhao, {"active": False})
    assert done["active"] is False
    assert org.facts(directory.USER_UPSERTED, zhao)[-1]["active"] is False
    refused(Unauthenticated, "password", "login",
            {"username": org.name("sh.zhao"), "password": PASSWORD}, container=desk)
    assert call(desk, "list_users", org.token("admin"), {"active": False})["total"] == 1


def test_the_last_active_admin_is_never_demoted_nor_deactivated(org, desk):
    admin, me = org.token("admin"), str(org.ids["admin"])
    before = len(org.events())
    refused(Conflict, "role", "update_user", admin, me, {"role": "director"}, container=desk)
    refused(Conflict, "active", "update_user", admin, me, {"active": False}, container=desk)
    assert org.row("SELECT role, active FROM directory.users WHERE id = :u", u=me) == (
        "admin", True)
    assert len(org.events()) == before
    # With a second admin, the first may step down; then the second is the last one.
    second = call(desk, "create_user", admin, {
        "username": org.name("admin2"), "name": "二号管理员", "role": "admin",
        "password": INITIAL})["user"]
    assert call(desk, "update_user", admin, me, {"role": "director"})["role"] == "director"
    # The demoted admin's token administers nothing more: its role claim is no longer the
    # directory's (log in again).
    refused(Unauthenticated, "token", "update_user", admin, second["id"],
            {"role": "director"}, container=desk)
    changed = call(desk, "login", {"username": org.name("admin2"), "password": INITIAL})
    token = call(desk, "change_password", changed["token"],
                 {"old_password": INITIAL, "new_password": CHOSEN})["token"]
    refused(Conflict, "role", "update_user", token, second["id"], {"role": "director"},
            container=desk)


def test_an_admin_stepping_down_while_the_other_is_demoted_is_refused(org, desk, infra):
    """Two writers at once: while another transaction demotes the second admin (its row
    locked, not yet committed), the first admin's own demotion waits for it and then finds
    itself the last admin. Without the lock both would pass and leave no admin."""
    with Session(org.engine) as s:
        second = uuid.uuid4()
        commands.publish_user(s, User(
            id=second, company_id=org.company, username=org.name("admin2"),
            password_hash=seeded_hash(), name="admin2", role="admin", team_id=None,
            project_ids=[], scopes=[], active=True, on_duty=True, revision=0,
            must_change_password=False))
        s.commit()
    token, me = org.token("admin"), str(org.ids["admin"])
    client = RpcClient(infra.amqp_uri, pool_size=1)

    def step_down():
        try:
            return client.call("directory", "update_user", token, me, {"role": "director"})
        except Conflict as exc:
            return exc

    with org.engine.connect() as other:
        other.execute(text("UPDATE directory.users SET role = 'director' WHERE id = :u"),
                      {"u": second})
        call_ = eventlet.spawn(step_down)
        wait_for(lambda: call_.dead or org.row(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'").n > 0)
        other.commit()
        outcome = call_.wait()
    client.close()
    assert isinstance(outcome, Conflict) and outcome.field == "role", outcome
    assert org.row("SELECT role FROM directory.users WHERE id = :u", u=me).role == "admin"


def test_users_are_listed_with_filters_and_a_directors_list_is_their_people(org, desk):
    admin = org.token("admin")
    for key in ("hz.a", "hz.b"):
        call(desk, "create_user", admin, new_consultant(org, key))
    call(desk, "create_user", admin, {**new_consultant(org, "sh.c", team=org.sh_team)})
    # In 杭州's team and given 上海 as well: not the 杭州 director's alone.
    both = call(desk, "create_user", admin, new_consultant(org, "hz.both",
                                                           project_ids=[str(org.sh)]))["user"]
    assert set(both["effective_project_ids"]) == {str(org.sh), str(org.hz)}
    everyone = call(desk, "list_users", admin, {"page_size": 200})
    assert everyone["total"] == 10 and len(everyone["items"]) == 10
    hz_consultants = call(desk, "list_users", admin, {"role": "consultant",
                                                      "project_id": str(org.hz)})
    assert {u["username"] for u in hz_consultants["items"]} == {
        org.name(k) for k in ("hz.chen", "hz.a", "hz.b", "hz.both")}
    assert call(desk, "list_users", admin, {"team_id": str(org.sh_team)})["total"] == 3
    assert [u["username"] for u in call(desk, "list_users", admin, {"q": "HZ.A"})["items"]] == [
        org.name("hz.a")]
    page = call(desk, "list_users", admin, {"page_size": 4, "page": 3})
    assert len(page["items"]) == 2 and page["total"] == 10
    # Each caller's list is exactly whom the rule lets them see.
    for who in ("director", "mgr.hz", "mgr.sh"):
        caller = desk_actor(org, who)
        listed = {u["id"] for u in call(desk, "list_users", org.token(who),
                                        {"page_size": 200})["items"]}
        with Session(org.engine) as s:
            users = s.scalars(select(User).where(User.company_id == org.company)).all()
            expected = {str(u.id) for u in users
                        if admin_rules.sees_user(caller, commands.fact_of(s, u))}
        assert listed == expected, who
        assert listed and len(listed) < 10
    assert both["id"] not in {u["id"] for u in call(desk, "list_users", org.token("director"),
                                                    {"page_size": 200})["items"]}
    refused(Forbidden, None, "list_users", org.token("sh.zhao"), {}, container=desk)
    refused(NotFound, "user_id", "get_user", org.token("mgr.hz"), str(org.ids["sh.zhao"]),
            container=desk)
    refused(NotFound, "user_id", "get_user", org.token("admin"), str(uuid.uuid4()),
            container=desk)
    refused(ValidationFailed, "user_id", "get_user", org.token("admin"), "not-an-id",
            container=desk)


def desk_actor(org, key):
    with Session(org.engine) as s:
        user = s.get(User, org.ids[key])
        team = s.get(Team, user.team_id) if user.team_id else None
        return domain.actor_of(user, team.project_id if team else None)


def test_a_reset_password_must_be_changed_at_the_next_login(org, desk):
    chen = str(org.ids["hz.chen"])
    refused(NotFound, "user_id", "reset_password", org.token("director"),
            str(org.ids["sh.zhao"]), {"password": INITIAL}, container=desk)
    refused(Forbidden, None, "reset_password", org.token("mgr.hz"), chen,
            {"password": INITIAL}, container=desk)
    refused(ValidationFailed, "password", "reset_password", org.token("director"), chen,
            {"password": "qwerty123456"}, container=desk)
    assert call(desk, "login", {"username": org.name("hz.chen"), "password": PASSWORD})
    done = call(desk, "reset_password", org.token("director"), chen, {"password": INITIAL})
    assert done == {"user_id": chen, "must_change_password": True}
    login = call(desk, "login", {"username": org.name("hz.chen"), "password": INITIAL})
    assert login["must_change_password"] is True


def test_no_password_appears_in_any_event_or_answer(org, desk, engine):
    admin = org.token("admin")
    user = call(desk, "create_user", admin, new_consultant(org, "hz.secret"))["user"]
    call(desk, "reset_password", admin, user["id"], {"password": "Other5password"})
    login = call(desk, "login", {"username": org.name("hz.secret"),
                                 "password": "Other5password"})
    answer = call(desk, "change_password", login["token"],
                  {"old_password": "Other5password", "new_password": CHOSEN})
    seen = [str(user), str(login), str(answer),
            str(call(desk, "list_users", admin, {"q": "hz.secret"}))]
    with engine.connect() as conn:
        seen += [str(e) for e in conn.execute(text(
            "SELECT envelope FROM directory.outbox")).scalars()]
        seen += [str(e) for e in conn.execute(text(
            "SELECT row_to_json(k) FROM directory.idempotency_keys k")).scalars()]
    for password in (INITIAL, "Other5password", CHOSEN):
        assert not any(password in text_ for text_ in seen), password
    stored = org.row("SELECT password_hash FROM directory.users WHERE id = :u", u=user["id"])
    assert stored.password_hash.startswith("$argon2")


def test_keyuan_user_create_still_makes_the_first_admin_of_a_fresh_company(infra, desk, engine):
    import os
    import subprocess
    import sys

    company, username = uuid.uuid4(), f"first.admin.{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "KEYUAN_ENV": "test", "KEYUAN_DATABASE_URL": infra.database_url}

    def create(password: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", "user", "create", username, "--password",
             password, "--name", "首位管理员", "--role", "admin", "--company", str(company),
             "--company-name", "新公司"], env=env, capture_output=True, text=True, timeout=120)

    weak = create("admin12345")
    assert weak.returncode == 2 and "common" in weak.stderr
    done = create(CHOSEN)
    assert done.returncode == 0, done.stderr
    login = call(desk, "login", {"username": username, "password": CHOSEN})
    assert login["must_change_password"] is False and login["actor"]["role"] == "admin"
    # ... who then builds the company through the API.
    project = call(desk, "create_project", login["token"], {"name": "首个项目", "city": "杭州"})
    assert project["created"]
