"""Per-project lead rules: required fields, grading, assignment, protection, pool."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from contracts import leads as c
from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, ValidationFailed, parse, parse_id
from kit import clock
from kit.db import locked_row
from kit.service import Worker, rpc
from services.leads import domain, store

EDITORS = (Role.admin, Role.director)




class ProjectRules(Worker):
    """Mixin of LeadsService."""

    def _project_in_scope(self, actor, project_id: uuid.UUID):
        project = store.project(self.db, project_id)
        if project is None or project.company_id != actor.company_id or (
                actor.role not in (Role.admin, Role.integration)
                and project_id not in actor.project_ids):
            raise NotFound("no such project", "project_id")
        return project

    @rpc
    def my_projects(self, token: str) -> dict:
        """The projects the caller works in (an admin: every project of the company), with
        their names, for pickers: from this service's copy of the directory's projects."""
        actor = self.keys.actor(token)
        stmt = select(store.Projects).where(store.Projects.c.company_id == actor.company_id)
        if actor.role not in (Role.admin, Role.integration):
            stmt = stmt.where(store.Projects.c.id.in_(list(actor.project_ids)))
        rows = self.db.execute(stmt.order_by(store.Projects.c.name, store.Projects.c.id))
        return {"items": [{"id": str(p.id), "name": p.name, "city": p.city} for p in rows]}

    @rpc
    def get_project_settings(self, token: str, project_id: str) -> dict:
        actor = self.keys.actor(token)
        wanted = parse_id(project_id, "project_id")
        self._project_in_scope(actor, wanted)
        return store.project_settings(self.db, wanted).model_dump(mode="json")

    @rpc
    def update_project_settings(self, token: str, project_id: str, settings: dict) -> dict:
        actor = self.keys.actor(token)
        wanted = parse_id(project_id, "project_id")
        self._project_in_scope(actor, wanted)
        if actor.role not in EDITORS:
            raise Forbidden("only the project's director or an admin may change its rules")
        rules = parse(c.ProjectLeadSettings, settings)
        refusal = domain.settings_refusal(rules, set(store.project_consultants(self.db, wanted)))
        if refusal is not None:
            raise ValidationFailed(*refusal)
        now = clock.now()
        row = locked_row(self.db, store.ProjectSettings, wanted, company_id=actor.company_id,
                         settings=rules.model_dump(mode="json"), revision=0, updated_at=now,
                         updated_by=actor.user_id)
        row.settings = rules.model_dump(mode="json")
        row.revision += 1
        row.updated_at, row.updated_by = now, actor.user_id
        self.db.commit()
        return rules.model_dump(mode="json")
