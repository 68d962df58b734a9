"""Who may administer whom in the directory (services/directory/admin_rules.py)."""

import uuid
from dataclasses import dataclass

import pytest

from contracts.actor import Actor, Role
from contracts.directory import UserFact
from contracts.errors import Conflict, Forbidden, ValidationFailed
from services.directory import admin_rules as rules

COMPANY, OTHER_COMPANY = uuid.uuid4(), uuid.uuid4()
HZ, SH, BJ = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
HZ_TEAM, SH_TEAM = uuid.uuid4(), uuid.uuid4()


@dataclass
class Project:
    id: uuid.UUID
    company_id: uuid.UUID = COMPANY
    active: bool = True


@dataclass
class Team:
    id: uuid.UUID
    project_id: uuid.UUID | None
    company_id: uuid.UUID = COMPANY
    manager_id: uuid.UUID | None = None
    active: bool = True


def actor(role: Role, projects=(HZ, SH), team=None, scopes=(), company=COMPANY) -> Actor:
    return Actor(user_id=uuid.uuid4(), company_id=company, role=role, team_id=team,
                 project_ids=tuple(projects), scopes=tuple(scopes))


def fact(role: Role = Role.consultant, projects=(HZ,), team=HZ_TEAM, active=True,
         company=COMPANY) -> UserFact:
    return UserFact(id=uuid.uuid4(), company_id=company, name="x", role=role, team_id=team,
                    project_ids=list(projects), active=active, on_duty=True, revision=1,
                    username="someone")


ADMIN = actor(Role.admin)
DIRECTOR_HZ = actor(Role.director, projects=(HZ,), scopes=("pii:reveal", "export"))
MANAGER_HZ = actor(Role.manager, projects=(HZ,), team=HZ_TEAM)


@pytest.mark.parametrize("role", [Role.consultant, Role.service_agent, Role.channel_agent,
                                  Role.homeowner, Role.integration])
def test_anyone_but_admins_directors_and_managers_is_refused_any_administration(role):
    with pytest.raises(Forbidden):
        rules.require_reader(actor(role))
    with pytest.raises(Forbidden):
        rules.require_writer(actor(role))


def test_a_manager_reads_but_changes_nothing():
    rules.require_reader(MANAGER_HZ)
    with pytest.raises(Forbidden):
        rules.require_writer(MANAGER_HZ)
    assert not rules.manages_team(MANAGER_HZ, Team(HZ_TEAM, HZ))
    assert not rules.manages_user(MANAGER_HZ, fact())


def test_a_manager_sees_their_own_team_and_its_people_only():
    assert rules.sees_team(MANAGER_HZ, Team(HZ_TEAM, HZ))
    assert not rules.sees_team(MANAGER_HZ, Team(uuid.uuid4(), HZ))   # another team, same project
    assert rules.sees_user(MANAGER_HZ, fact(team=HZ_TEAM))
    assert not rules.sees_user(MANAGER_HZ, fact(team=SH_TEAM, projects=(HZ,)))
    assert not rules.sees_user(actor(Role.manager, team=None), fact(team=None))


def test_a_director_manages_the_teams_and_people_of_their_projects():
    assert rules.manages_team(DIRECTOR_HZ, Team(HZ_TEAM, HZ))
    assert not rules.sees_team(DIRECTOR_HZ, Team(SH_TEAM, SH))
    assert rules.manages_user(DIRECTOR_HZ, fact(projects=(HZ,)))
    assert rules.manages_user(DIRECTOR_HZ, fact(Role.manager, projects=(HZ,)))
    assert not rules.sees_user(DIRECTOR_HZ, fact(projects=(SH,), team=SH_TEAM))
    # Someone who also works in a project that is not the director's is not theirs alone.
    assert not rules.sees_user(DIRECTOR_HZ, fact(projects=(HZ, SH)))
    assert not rules.sees_user(DIRECTOR_HZ, fact(projects=(), team=None))


@pytest.mark.parametrize("role", [Role.admin, Role.director, Role.integration])
def test_a_director_neither_sees_nor_manages_admins_directors_or_integrations(role):
    assert not rules.sees_user(DIRECTOR_HZ, fact(role, projects=(HZ,), team=None))


def test_an_admin_administers_everything_of_their_company_and_nothing_of_another():
    assert rules.manages_user(ADMIN, fact(Role.admin, projects=(HZ, SH, BJ)))
    assert rules.manages_team(ADMIN, Team(SH_TEAM, SH))
    assert rules.sees_project(ADMIN, Project(BJ))
    assert not rules.sees_user(ADMIN, fact(company=OTHER_COMPANY))
    assert not rules.sees_team(ADMIN, Team(SH_TEAM, SH, company_id=OTHER_COMPANY))
    assert not rules.sees_project(ADMIN, Project(BJ, company_id=OTHER_COMPANY))


def test_projects_are_seen_by_their_directors_and_managers():
    assert rules.sees_project(DIRECTOR_HZ, Project(HZ))
    assert not rules.sees_project(DIRECTOR_HZ, Project(SH))
    assert rules.sees_project(MANAGER_HZ, Project(HZ))
    assert not rules.sees_project(actor(Role.consultant, projects=(HZ,)), Project(HZ))


@pytest.mark.parametrize("role", [Role.admin, Role.director, Role.integration])
def test_only_an_admin_gives_the_roles_above_a_director(role):
    rules.check_role(ADMIN, role)
    with pytest.raises(Forbidden) as refused:
        rules.check_role(DIRECTOR_HZ, role)
    assert refused.value.field == "role"
    rules.check_role(DIRECTOR_HZ, Role.manager)


def test_a_director_grants_only_the_scopes_they_hold():
    rules.check_scopes(DIRECTOR_HZ, ["pii:reveal"])
    with pytest.raises(Forbidden) as refused:
        rules.check_scopes(DIRECTOR_HZ, ["pii:reveal", "privacy"])
    assert refused.value.field == "scopes"
    rules.check_scopes(ADMIN, ["privacy"])


def test_a_plan_names_active_projects_and_teams_of_the_callers_own():
    rules.check_project_choice(DIRECTOR_HZ, Project(HZ), "project_id")
    for wrong in (None, Project(SH), Project(HZ, active=False),
                  Project(HZ, company_id=OTHER_COMPANY)):
        with pytest.raises(ValidationFailed) as refused:
            rules.check_project_choice(DIRECTOR_HZ, wrong, "project_id")
        assert refused.value.field == "project_id"
    rules.check_team_choice(DIRECTOR_HZ, Team(HZ_TEAM, HZ))
    for wrong in (None, Team(SH_TEAM, SH), Team(HZ_TEAM, HZ, active=False)):
        with pytest.raises(ValidationFailed) as refused:
            rules.check_team_choice(DIRECTOR_HZ, wrong)
        assert refused.value.field == "team_id"


def test_a_teams_manager_is_an_active_manager_of_the_company_in_no_other_team():
    team = uuid.uuid4()
    rules.check_manager_choice(ADMIN, fact(Role.manager, team=None), team)
    rules.check_manager_choice(ADMIN, fact(Role.manager, team=team), team)
    wrong = [None, fact(Role.consultant, team=None), fact(Role.manager, team=None, active=False),
             fact(Role.manager, team=None, company=OTHER_COMPANY),
             fact(Role.manager, team=HZ_TEAM)]
    for manager in wrong:
        with pytest.raises(ValidationFailed) as refused:
            rules.check_manager_choice(ADMIN, manager, team)
        assert refused.value.field == "manager_id"
    with pytest.raises(ValidationFailed):   # a manager of another project's people
        rules.check_manager_choice(DIRECTOR_HZ, fact(Role.manager, projects=(SH,), team=None),
                                   team)


def test_the_last_active_admin_is_neither_demoted_nor_deactivated():
    last = fact(Role.admin, team=None)
    with pytest.raises(Conflict) as refused:
        rules.check_last_admin(last, Role.director, True, other_active_admins=0)
    assert refused.value.field == "role"
    with pytest.raises(Conflict) as refused:
        rules.check_last_admin(last, Role.admin, False, other_active_admins=0)
    assert refused.value.field == "active"
    rules.check_last_admin(last, Role.director, True, other_active_admins=1)
    rules.check_last_admin(last, Role.admin, True, other_active_admins=0)
    rules.check_last_admin(fact(Role.admin, active=False), Role.consultant, False, 0)


def test_a_director_cannot_leave_a_user_outside_their_sight():
    with pytest.raises(ValidationFailed) as refused:
        rules.check_in_sight_after(DIRECTOR_HZ, fact(projects=(), team=None))
    assert refused.value.field == "team_id"
    rules.check_in_sight_after(ADMIN, fact(projects=(), team=None))


def test_a_teams_manager_stays_its_manager_until_it_has_another():
    rules.check_team_manager_kept([], Role.consultant, True, False)
    rules.check_team_manager_kept(["一组"], Role.manager, False, True)
    for role, moved, active, field in ((Role.consultant, False, True, "role"),
                                       (Role.manager, True, True, "team_id"),
                                       (Role.manager, False, False, "active")):
        with pytest.raises(Conflict) as refused:
            rules.check_team_manager_kept(["一组"], role, moved, active)
        assert refused.value.field == field
