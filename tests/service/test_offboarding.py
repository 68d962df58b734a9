"""Offboarding in the directory (离职交接): who may, what a plan may name, one step with the
deactivation, a retry, and the progress the leads service reports."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text
from sqlalchemy.orm import Session

from contracts import handover as h
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit import auth, clock
from services.directory import commands, domain, store
from services.directory.service import DirectoryService
from tests.service.conftest import call, count, envelope


class Company:
    """A company of our own in the directory: two projects, a team in each, people."""

    def __init__(self, engine, settings):
        self.engine, self.settings = engine, settings
        self.id, self.hz, self.sh = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.team, self.sh_team = uuid.uuid4(), uuid.uuid4()
        self.ids: dict[str, uuid.UUID] = {}
        with Session(engine) as session:
            commands.upsert_company(session, self.id, "测试地产")
            commands.upsert_project(session, self.hz, self.id, "滨江壹号", "杭州")
            commands.upsert_project(session, self.sh, self.id, "浦东云境", "上海")
            commands.upsert_team(session, self.team, self.id, "一组", self.hz, None)
            commands.upsert_team(session, self.sh_team, self.id, "上海组", self.sh, None)
            session.commit()
        self.person("mgr", "manager", self.team)
        self.person("mgr.sh", "manager", self.sh_team, project=self.sh)
        with Session(engine) as session:
            commands.upsert_team(session, self.team, self.id, "一组", self.hz, self.ids["mgr"])
            commands.upsert_team(session, self.sh_team, self.id, "上海组", self.sh,
                                 self.ids["mgr.sh"])
            session.commit()
        for key in ("x", "a", "b"):
            self.person(key, "consultant", self.team)
        self.person("far", "consultant", self.sh_team, project=self.sh)
        self.person("boss", "director", None, projects=[self.hz])
        self.person("boss.sh", "director", None, projects=[self.sh])
        self.person("admin", "admin", None, projects=[self.hz, self.sh])

    def person(self, key, role, team, project=None, projects=None, active=True,
               company=None) -> uuid.UUID:
        user_id = uuid.uuid4()
        with Session(self.engine) as session:
            commands.upsert_user(session, user_id, company or self.id,
                                 f"{key}-{user_id.hex[:6]}", PASSWORD, key, role, team,
                                 projects if projects is not None else [project or self.hz],
                                 active=active)
            session.commit()
        self.ids[key] = user_id
        return user_id

    def token(self, key) -> str:
        with Session(self.engine) as session:
            return auth.issue(commands_actor(session, self.ids[key]),
                              self.settings.secret_key, 600)[0]


def commands_actor(session, user_id):
    user = session.get(store.User, user_id)
    team = session.get(store.Team, user.team_id) if user.team_id else None
    return domain.actor_of(user, team.project_id if team else None)


@pytest.fixture
def directory(start, engine, infra):
    company = Company(engine, infra)
    return start(DirectoryService), company


ROUND_ROBIN = {"mode": "round_robin"}
PASSWORD = "Keyuan@2026"


def test_the_manager_offboards_a_consultant_deactivating_them_in_the_same_step(directory,
                                                                             engine):
    service, co = directory
    answer = call(service, "offboard", co.token("mgr"), str(co.ids["x"]), ROUND_ROBIN)
    assert answer["user_id"] == str(co.ids["x"]) and answer["done"] is False
    assert answer["plan"] == {"mode": "round_robin", "to_user_id": None, "projects": {}}
    assert count(engine, "SELECT count(*) FROM directory.users WHERE id = :u AND NOT active",
                 u=co.ids["x"]) == 1
    with engine.connect() as conn:
        events = conn.execute(text(
            "SELECT event_type, envelope->'payload' FROM directory.outbox WHERE "
            "envelope->'payload'->>'user_id' = :u OR envelope->'payload'->>'id' = :u "
            "ORDER BY created_at"), {"u": str(co.ids["x"])}).all()
    kinds = [kind for kind, _ in events]
    assert kinds[-2:] == ["user.upserted", "user.offboarded"]
    assert events[-2][1]["active"] is False
    offboarded = h.UserOffboarded.model_validate(events[-1][1])
    assert offboarded.offboarding_id == uuid.UUID(answer["id"])
    assert offboarded.team_id == co.team and offboarded.by == co.ids["mgr"]


def test_the_same_call_again_is_a_retry_and_another_plan_is_refused(directory, engine):
    service, co = directory
    first = call(service, "offboard", co.token("boss"), str(co.ids["x"]), ROUND_ROBIN)
    again = call(service, "offboard", co.token("boss"), str(co.ids["x"]), ROUND_ROBIN)
    assert again["id"] == first["id"]
    with pytest.raises(Conflict):
        call(service, "offboard", co.token("boss"), str(co.ids["x"]), {"mode": "pool"})
    assert count(engine, "SELECT count(*) FROM directory.outbox WHERE event_type = "
                 "'user.offboarded' AND envelope->'payload'->>'user_id' = :u",
                 u=str(co.ids["x"])) == 1


def test_only_their_manager_director_or_an_admin_and_never_themselves(directory, engine):
    service, co = directory
    for who, refusal in (("a", Forbidden), ("mgr.sh", NotFound), ("boss.sh", NotFound)):
        with pytest.raises(refusal):
            call(service, "offboard", co.token(who), str(co.ids["x"]), ROUND_ROBIN)
    with pytest.raises(Forbidden) as own:
        call(service, "offboard", co.token("mgr"), str(co.ids["mgr"]), ROUND_ROBIN)
    assert own.value.field == "user_id"
    with pytest.raises(NotFound):
        call(service, "offboard", co.token("mgr"), str(uuid.uuid4()), ROUND_ROBIN)
    with pytest.raises(ValidationFailed):
        call(service, "offboard", co.token("mgr"), "nobody", ROUND_ROBIN)
    assert count(engine, "SELECT count(*) FROM directory.offboardings WHERE company_id = :c",
                 c=co.id) == 0
    assert count(engine, "SELECT count(*) FROM directory.users WHERE company_id = :c AND "
                 "NOT active", c=co.id) == 0


def test_a_plan_naming_someone_who_may_not_receive_the_customers_names_the_field(
        directory, engine):
    service, co = directory
    gone = co.person("gone", "consultant", co.team, active=False)
    elsewhere_co = uuid.uuid4()
    with Session(engine) as session:
        commands.upsert_company(session, elsewhere_co, "别家地产")
        session.commit()
    stranger = co.person("stranger", "consultant", None, company=elsewhere_co)
    colleague = {"mode": "colleague"}
    cases = [
        ({**colleague, "to_user_id": str(gone)}, "to_user_id", "not active"),
        ({**colleague, "to_user_id": str(co.ids["mgr"])}, "to_user_id", "consultant"),
        ({**colleague, "to_user_id": str(stranger)}, "to_user_id", "no such colleague"),
        ({**colleague, "to_user_id": str(co.ids["far"])}, "to_user_id", "project"),
        ({**colleague, "to_user_id": str(co.ids["x"])}, "to_user_id", "own customers"),
        ({"mode": "pool", "projects": {str(co.hz): {**colleague, "to_user_id": str(gone)}}},
         f"projects.{co.hz}.to_user_id", "not active"),
        ({"mode": "pool", "projects": {str(uuid.uuid4()): {"mode": "pool"}}}, None, "project"),
        ({"mode": "colleague"}, "to_user_id", "required"),
        ({"mode": "pool", "to_user_id": str(co.ids["a"])}, "to_user_id", "only with"),
    ]
    for plan, field, words in cases:
        with pytest.raises(ValidationFailed) as refused:
            call(service, "offboard", co.token("admin"), str(co.ids["x"]), plan)
        assert (refused.value.field == field if field else
                refused.value.field.startswith("projects.")), plan
        assert words in refused.value.message, plan
    assert count(engine, "SELECT count(*) FROM directory.users WHERE id = :u AND active",
                 u=co.ids["x"]) == 1
    # A manager hands customers to their own team only, even a consultant of the project.
    other_team = uuid.uuid4()
    with Session(engine) as session:
        commands.upsert_team(session, other_team, co.id, "二组", co.hz, None)
        session.commit()
    elsewhere = co.person("elsewhere", "consultant", other_team)
    with pytest.raises(ValidationFailed) as refused:
        call(service, "offboard", co.token("mgr"), str(co.ids["x"]),
             {"mode": "colleague", "to_user_id": str(elsewhere)})
    assert refused.value.field == "to_user_id"
    assert call(service, "offboard", co.token("admin"), str(co.ids["x"]),
                {"mode": "colleague", "to_user_id": str(elsewhere)})["done"] is False


def test_round_robin_needs_a_team_and_the_last_admin_stays(directory):
    service, co = directory
    with pytest.raises(ValidationFailed) as no_team:
        call(service, "offboard", co.token("admin"), str(co.ids["boss"]), ROUND_ROBIN)
    assert no_team.value.field == "mode"
    other_admin = co.person("admin2", "admin", None, projects=[co.hz])
    call(service, "offboard", co.token("admin"), str(other_admin), {"mode": "pool"})
    with pytest.raises(Forbidden):   # the last admin: only they could do it, to themselves
        call(service, "offboard", co.token("admin"), str(co.ids["admin"]), {"mode": "pool"})


def progress(co, offboarding_id, moved, total, done=False, at=None) -> dict:
    report = h.HandoverProgress(
        handover_id=offboarding_id, company_id=co.id, user_id=co.ids["x"], moved=moved,
        total=total, done=done, at=at or clock.now(), skipped=0,
        projects=[h.ProjectProgress(project_id=co.hz, mode="round_robin", moved=moved,
                                    total=total, owners={co.ids["a"]: moved})])
    return envelope("leads", h.HANDOVER_PROGRESS, report.model_dump(mode="json"))


def test_the_progress_reported_is_shown_and_an_older_report_is_ignored(directory):
    service, co = directory
    started = call(service, "offboard", co.token("mgr"), str(co.ids["x"]), ROUND_ROBIN)
    assert call(service, "offboarding", co.token("mgr"), str(co.ids["x"]))["total"] is None
    earlier = clock.now()
    with entrypoint_hook(service, "on_handover_progress") as report:
        report(progress(co, started["id"], 200, 500))
        report(progress(co, started["id"], 0, 500, at=earlier))
    shown = call(service, "offboarding", co.token("boss"), str(co.ids["x"]))
    assert (shown["moved"], shown["total"], shown["done"]) == (200, 500, False)
    with entrypoint_hook(service, "on_handover_progress") as report:
        report(progress(co, started["id"], 500, 500, done=True))
    shown = call(service, "offboarding", co.token("admin"), str(co.ids["x"]))
    assert (shown["moved"], shown["done"]) == (500, True) and shown["finished_at"]
    [project] = shown["projects"]
    assert project["owners"] == {str(co.ids["a"]): 500}
    with pytest.raises(NotFound):
        call(service, "offboarding", co.token("mgr.sh"), str(co.ids["x"]))
    with pytest.raises(NotFound):
        call(service, "offboarding", co.token("mgr"), str(co.ids["a"]))
