"""Teams (销售团队) administered through the API: admins any, directors those of their
projects; a manager reads their own. A team's project change re-publishes its members'
facts (their effective projects follow); assigning a manager moves them into the team."""

from __future__ import annotations

from sqlalchemy import func, select

from contracts import directory_admin as c
from contracts.errors import Conflict, NotFound, parse, parse_id
from kit.service import rpc
from services.directory import admin_rules as rules
from services.directory import admin_store, commands
from services.directory.admin_access import Administration
from services.directory.admin_views import page, team_view
from services.directory.store import Project, Team, User


class TeamAdmin(Administration):
    """Mixin of DirectoryService."""

    def _team_in_sight(self, actor, team_id, lock: bool = False) -> Team:
        team = self.db.get(Team, parse_id(team_id, "team_id"), with_for_update=lock,
                           populate_existing=lock)
        if team is None or not rules.sees_team(actor, team):
            raise NotFound("no such team", "team_id")
        return team

    def _team_view(self, team: Team) -> dict:
        return team_view(team, admin_store.member_counts(self.db, [team.id]).get(team.id, 0))

    def _manager_for(self, actor, manager_id, team_id) -> User:
        manager = self.db.get(User, manager_id, with_for_update=True, populate_existing=True)
        rules.check_manager_choice(
            actor, commands.fact_of(self.db, manager) if manager else None, team_id)
        return manager

    @rpc
    def list_teams(self, token: str, query: dict | None = None) -> dict:
        actor = self._administrator(token)
        rules.require_reader(actor)
        q = parse(c.TeamQuery, query)
        rows, total = admin_store.list_teams(self.db, actor, q)
        members = admin_store.member_counts(self.db, [t.id for t in rows])
        return page([team_view(t, members.get(t.id, 0)) for t in rows], total, q)

    @rpc
    def get_team(self, token: str, team_id: str) -> dict:
        actor = self._administrator(token)
        rules.require_reader(actor)
        return self._team_view(self._team_in_sight(actor, team_id))

    @rpc
    def create_team(self, token: str, team: dict, idempotency_key: str | None = None) -> dict:
        actor = self._administrator(token)
        rules.require_writer(actor)
        new = parse(c.NewTeam, team)
        team_id, fresh = admin_store.claim_key(self.db, actor.company_id, "team",
                                               idempotency_key, new.model_dump(mode="json"))
        if not fresh:
            done = self.db.get_one(Team, team_id)
            self.db.rollback()
            return {"created": False, "team": self._team_view(done)}
        rules.check_project_choice(actor, self.db.get(Project, new.project_id), "project_id")
        manager = self._manager_for(actor, new.manager_id, team_id) if new.manager_id else None
        row = Team(id=team_id, company_id=actor.company_id, name=new.name,
                   project_id=new.project_id, manager_id=new.manager_id, active=True,
                   revision=0)
        commands.publish_team(self.db, row)
        if manager is not None:
            manager.team_id = row.id
            commands.publish_user(self.db, manager)
        self.db.commit()
        return {"created": True, "team": self._team_view(row)}

    @rpc
    def update_team(self, token: str, team_id: str, patch: dict) -> dict:
        actor = self._administrator(token)
        rules.require_writer(actor)
        changes = parse(c.TeamPatch, patch).changes()
        team = self._team_in_sight(actor, team_id, lock=True)
        if not rules.manages_team(actor, team):
            raise NotFound("no such team", "team_id")
        changes = {k: v for k, v in changes.items() if getattr(team, k) != v}
        if "project_id" in changes:
            rules.check_project_choice(actor, self.db.get(Project, changes["project_id"]),
                                       "project_id")
        manager = (self._manager_for(actor, changes["manager_id"], team.id)
                   if changes.get("manager_id") else None)
        if changes.get("active") is False:
            members = self.db.scalar(select(func.count()).select_from(User).where(
                User.team_id == team.id, User.active.is_(True)))
            if members:
                raise Conflict(f"the team still has {members} active member(s): move them "
                               "first", "active")
        if not changes:
            self.db.rollback()
            return self._team_view(team)
        for name, value in changes.items():
            setattr(team, name, value)
        commands.publish_team(self.db, team)
        if "project_id" in changes:
            commands.republish_members(self.db, team)
        if manager is not None and manager.team_id != team.id:
            manager.team_id = team.id
            commands.publish_user(self.db, manager)
        self.db.commit()
        return self._team_view(team)
