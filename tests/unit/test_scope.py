import uuid

from contracts.actor import Actor, Role
from kit.scope import can_see, visibility

COMPANY, TEAM, OTHER_TEAM, PROJECT = (uuid.uuid4() for _ in range(4))
ME, COLLEAGUE = uuid.uuid4(), uuid.uuid4()


def actor(role: Role, user=ME, team=TEAM, projects=(PROJECT,), company=COMPANY) -> Actor:
    return Actor(user_id=user, company_id=company, role=role, team_id=team,
                 project_ids=tuple(projects))


def sees(a: Actor, owner, owner_team, project=PROJECT, company=COMPANY) -> bool:
    return can_see(visibility(a), company, owner, project, owner_team)


def test_a_consultant_sees_only_their_own_customers():
    assert sees(actor(Role.consultant), ME, TEAM)
    assert not sees(actor(Role.consultant), COLLEAGUE, TEAM)
    assert not sees(actor(Role.consultant), None, None)


def test_a_manager_sees_their_team_but_not_another():
    assert sees(actor(Role.manager), COLLEAGUE, TEAM)
    assert not sees(actor(Role.manager), COLLEAGUE, OTHER_TEAM)


def test_a_director_sees_their_projects():
    assert sees(actor(Role.director), COLLEAGUE, OTHER_TEAM)
    assert not sees(actor(Role.director), COLLEAGUE, OTHER_TEAM, project=uuid.uuid4())


def test_nobody_sees_another_company():
    assert not sees(actor(Role.admin), ME, TEAM, company=uuid.uuid4())


def test_roles_without_customer_access_see_nothing():
    assert not sees(actor(Role.homeowner), ME, TEAM)
    assert not sees(actor(Role.service_agent), ME, TEAM)
