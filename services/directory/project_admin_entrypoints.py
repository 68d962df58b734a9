"""Projects (项目) administered through the API: admins create and change them; directors
and managers read their own."""

from __future__ import annotations

from sqlalchemy import func, select

from contracts import directory_admin as c
from contracts.errors import Conflict, NotFound, parse, parse_id
from kit.service import rpc
from services.directory import admin_rules as rules
from services.directory import admin_store, commands
from services.directory.admin_access import Administration
from services.directory.admin_views import page, project_view
from services.directory.store import Project, Team


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class ProjectAdmin(Administration):
    """Mixin of DirectoryService."""

    def _project_in_sight(self, actor, project_id, lock: bool = False) -> Project:
        project = self.db.get(Project, parse_id(project_id, "project_id"),
                              with_for_update=lock, populate_existing=lock)
        if project is None or not rules.sees_project(actor, project):
            raise NotFound("no such project", "project_id")
        return project

    @rpc
    def list_projects(self, token: str, query: dict | None = None) -> dict:
        actor = self._administrator(token)
        rules.require_reader(actor)
        q = parse(c.ProjectQuery, query)
        rows, total = admin_store.list_projects(self.db, actor, q)
        return page([project_view(p) for p in rows], total, q)

    @rpc
    def get_project(self, token: str, project_id: str) -> dict:
        actor = self._administrator(token)
        rules.require_reader(actor)
        return project_view(self._project_in_sight(actor, project_id))

    @rpc
    def create_project(self, token: str, project: dict,
                       idempotency_key: str | None = None) -> dict:
        actor = self._administrator(token)
        rules.require_admin(actor, "create projects")
        new = parse(c.NewProject, project)
        project_id, fresh = admin_store.claim_key(self.db, actor.company_id, "project",
                                                  idempotency_key, new.model_dump(mode="json"))
        if not fresh:
            done = self.db.get_one(Project, project_id)
            self.db.rollback()
            return {"created": False, "project": project_view(done)}
        row = Project(id=project_id, company_id=actor.company_id, name=new.name,
                      city=new.city, districts=_distinct(new.districts), active=True,
                      revision=0)
        commands.publish_project(self.db, row)
        self.db.commit()
        return {"created": True, "project": project_view(row)}

    @rpc
    def update_project(self, token: str, project_id: str, patch: dict) -> dict:
        actor = self._administrator(token)
        rules.require_admin(actor, "change projects")
        changes = parse(c.ProjectPatch, patch).changes()
        project = self._project_in_sight(actor, project_id, lock=True)
        if "districts" in changes:
            changes["districts"] = _distinct(changes["districts"])
        changes = {k: v for k, v in changes.items() if getattr(project, k) != v}
        if changes.get("active") is False:
            teams = self.db.scalar(select(func.count()).select_from(Team).where(
                Team.project_id == project.id, Team.active.is_(True)))
            if teams:
                raise Conflict(f"the project still has {teams} active team(s): deactivate or "
                               "move them first", "active")
        if not changes:
            self.db.rollback()
            return project_view(project)
        for name, value in changes.items():
            setattr(project, name, value)
        commands.publish_project(self.db, project)
        self.db.commit()
        return project_view(project)
