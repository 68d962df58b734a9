"""How directory administration answers: projects, teams and users as their views."""

from __future__ import annotations

from contracts import directory_admin as c
from contracts.actor import Role
from services.directory import domain
from services.directory.store import Project, Team, User


def project_view(project: Project) -> dict:
    return c.ProjectView(id=project.id, name=project.name, city=project.city,
                         districts=list(project.districts or []), active=project.active,
                         revision=project.revision).model_dump(mode="json")


def team_view(team: Team, members: int) -> dict:
    return c.TeamView(id=team.id, name=team.name, project_id=team.project_id,
                      manager_id=team.manager_id, active=team.active, members=members,
                      revision=team.revision).model_dump(mode="json")


def user_view(user: User, team_project_id=None) -> dict:
    return c.UserView(
        id=user.id, username=user.username, name=user.name, role=Role(user.role),
        team_id=user.team_id, project_ids=list(user.project_ids or []),
        effective_project_ids=domain.effective_projects(user, team_project_id),
        scopes=sorted(user.scopes or []), effective_scopes=domain.effective_scopes(user),
        active=user.active, on_duty=user.on_duty,
        must_change_password=user.must_change_password,
        password_changed_at=user.password_changed_at, created_at=user.created_at,
        revision=user.revision).model_dump(mode="json")


def page(items: list[dict], total: int, q) -> dict:
    return {"items": items, "total": total, "page": q.page, "page_size": q.page_size}
