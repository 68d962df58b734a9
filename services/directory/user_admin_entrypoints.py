"""Users (员工账号) administered through the API: admins any of the company, directors the
people of their projects (never admins or directors), managers read their team. Every change
publishes user.upserted (commands.fact_of), so every service's read copy follows a role
change, a team move or a deactivation. An initial or reset password must be changed at the
next login."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from contracts import directory_admin as c
from contracts.actor import Role
from contracts.errors import Conflict, NotFound, ValidationFailed, parse, parse_id
from kit.service import rpc
from services.directory import admin_rules as rules
from services.directory import admin_store, commands, domain, password_policy
from services.directory.admin_access import Administration
from services.directory.admin_views import page, user_view
from services.directory.store import Project, Team, User


def _check_password(password: str, username: str, field: str = "password") -> None:
    problem = password_policy.problem(password, username)
    if problem is not None:
        raise ValidationFailed(problem, field)


class UserAdmin(Administration):
    """Mixin of DirectoryService."""

    def _user_in_sight(self, actor, user_id, lock: bool = False) -> User:
        user = self.db.get(User, parse_id(user_id, "user_id"), with_for_update=lock,
                           populate_existing=lock)
        if user is None or not rules.sees_user(actor, commands.fact_of(self.db, user)):
            raise NotFound("no such user", "user_id")
        return user

    def _user_view(self, user: User) -> dict:
        team = self.db.get(Team, user.team_id) if user.team_id else None
        return user_view(user, team.project_id if team else None)

    def _check_projects(self, actor, project_ids) -> list:
        for project_id in project_ids:
            rules.check_project_choice(actor, self.db.get(Project, project_id), "project_ids")
        return list(dict.fromkeys(project_ids))

    def _team_choice(self, actor, team_id) -> Team | None:
        if team_id is None:
            return None
        team = self.db.get(Team, team_id)
        rules.check_team_choice(actor, team)
        return team

    def _commit_username(self, username: str) -> None:
        try:
            self.db.commit()
        except IntegrityError:   # the same username created at the same moment
            self.db.rollback()
            raise Conflict(f"username {username} is taken", "username") from None

    @rpc
    def list_users(self, token: str, query: dict | None = None) -> dict:
        actor = self._administrator(token)
        rules.require_reader(actor)
        q = parse(c.UserQuery, query)
        rows, total = admin_store.list_users(self.db, actor, q)
        return page([self._user_view(u) for u in rows], total, q)

    @rpc
    def get_user(self, token: str, user_id: str) -> dict:
        actor = self._administrator(token)
        rules.require_reader(actor)
        return self._user_view(self._user_in_sight(actor, user_id))

    @rpc
    def create_user(self, token: str, user: dict, idempotency_key: str | None = None) -> dict:
        actor = self._administrator(token)
        rules.require_writer(actor)
        new = parse(c.NewUser, user)
        rules.check_role(actor, new.role)
        rules.check_scopes(actor, new.scopes)
        _check_password(new.password, new.username)
        user_id, fresh = admin_store.claim_key(self.db, actor.company_id, "user",
                                               idempotency_key, new.model_dump(mode="json"))
        if not fresh:
            done = self.db.get_one(User, user_id)
            self.db.rollback()
            return {"created": False, "user": self._user_view(done)}
        team = self._team_choice(actor, new.team_id)
        projects = self._check_projects(actor, new.project_ids)
        if admin_store.username_taken(self.db, new.username):
            raise Conflict(f"username {new.username} is taken", "username")
        row = User(id=user_id, company_id=actor.company_id, username=new.username,
                   name=new.name, role=new.role.value, team_id=new.team_id,
                   project_ids=projects, scopes=sorted({s.value for s in new.scopes}),
                   active=True, on_duty=True, revision=0)
        commands.set_password(row, new.password, must_change=True)
        rules.check_in_sight_after(actor, domain.user_fact(row, team.project_id if team else None))
        commands.publish_user(self.db, row)
        self._commit_username(new.username)
        return {"created": True, "user": self._user_view(row)}

    @rpc
    def update_user(self, token: str, user_id: str, patch: dict) -> dict:
        actor = self._administrator(token)
        rules.require_writer(actor)
        changes = parse(c.UserPatch, patch).changes()
        if "scopes" in changes:
            changes["scopes"] = sorted({s.value for s in changes["scopes"]})
        if "role" in changes:
            changes["role"] = changes["role"].value
        if "role" in changes or "active" in changes:
            # Lock the company's admins before the user, in one order for every writer, so
            # two admins demoting each other at once cannot both succeed (or deadlock).
            admin_store.lock_other_active_admins(self.db, actor.company_id, actor.user_id)
        user = self._user_in_sight(actor, user_id, lock=True)
        before = commands.fact_of(self.db, user)
        if not rules.manages_user(actor, before):
            raise NotFound("no such user", "user_id")
        changes = {k: v for k, v in changes.items() if getattr(user, k) != v}
        self._check_user_changes(actor, user, before, changes)
        if not changes:
            self.db.rollback()
            return self._user_view(user)
        for name, value in changes.items():
            setattr(user, name, value)
        team = self.db.get(Team, user.team_id) if user.team_id else None
        rules.check_in_sight_after(actor, domain.user_fact(user, team.project_id if team else None))
        commands.publish_user(self.db, user)
        self._commit_username(user.username)
        return self._user_view(user)

    def _check_user_changes(self, actor, user: User, before, changes: dict) -> None:
        if "active" in changes:
            rules.require_admin(actor, "(de)activate users here; a departure with its "
                                "customers' handover is POST /api/users/<id>/offboard", "active")
        if "role" in changes:
            rules.check_role(actor, Role(changes["role"]))
        if "scopes" in changes:
            rules.check_scopes(actor, set(changes["scopes"]) ^ set(user.scopes or []))
        if "username" in changes and admin_store.username_taken(self.db, changes["username"],
                                                               but=user.id):
            raise Conflict(f"username {changes['username']} is taken", "username")
        if changes.get("team_id") is not None:
            self._team_choice(actor, changes["team_id"])
        if "project_ids" in changes:
            added = [p for p in changes["project_ids"] if p not in (user.project_ids or [])]
            self._check_projects(actor, added)
            changes["project_ids"] = list(dict.fromkeys(changes["project_ids"]))
        role = Role(changes.get("role", user.role))
        active = changes.get("active", user.active)
        if before.role == Role.admin and before.active and (role != Role.admin or not active):
            others = admin_store.lock_other_active_admins(self.db, user.company_id, user.id)
            rules.check_last_admin(before, role, active, others)
        managed = admin_store.teams_managed_by(self.db, user.id)
        rules.check_team_manager_kept([t.name for t in managed], role, "team_id" in changes,
                                      active)

    @rpc
    def reset_password(self, token: str, user_id: str, reset: dict) -> dict:
        actor = self._administrator(token)
        rules.require_writer(actor)
        wanted = parse(c.PasswordReset, reset)
        user = self._user_in_sight(actor, user_id, lock=True)
        if not rules.manages_user(actor, commands.fact_of(self.db, user)):
            raise NotFound("no such user", "user_id")
        _check_password(wanted.password, user.username)
        commands.set_password(user, wanted.password, must_change=True)
        self.db.commit()
        return c.PasswordResetDone(user_id=user.id,
                                   must_change_password=True).model_dump(mode="json")
