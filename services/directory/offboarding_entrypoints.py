"""Departures (离职交接): offboard a user with a plan for their customers, in one step with
their deactivation; show the plan and the progress the leads service reports."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from contracts import handover as c
from contracts import leads
from contracts.actor import Role
from contracts.envelope import Envelope
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed, parse, parse_id
from kit import clock
from kit.inbox import handles
from kit.service import Worker, rpc
from services.directory import commands, offboarding, store


def _view(row: store.Offboarding) -> dict:
    projects = [c.ProjectProgress.model_validate(p) for p in row.projects or []]
    return c.HandoverStatus(
        id=row.id, kind="departure", user_id=row.user_id,
        plan=c.HandoverPlan.model_validate(row.plan), requested_by=row.requested_by,
        requested_at=row.requested_at, moved=row.moved, total=row.total,
        skipped=sum(p.skipped for p in projects), done=row.done, projects=projects,
        progress_at=row.progress_at, finished_at=row.finished_at).model_dump(mode="json")


class Offboardings(Worker):
    """Mixin of DirectoryService."""

    def _leaver(self, actor, user_id, lock: bool = False) -> store.User:
        """The user the actor may offboard (or read the offboarding of), else 404."""
        target = self.db.get(store.User, parse_id(user_id, "user_id"), with_for_update=lock)
        team = self.db.get(store.Team, target.team_id) if target and target.team_id else None
        if target is None or not offboarding.may_offboard(
                actor, target, team, commands.fact_of(self.db, target).project_ids):
            raise NotFound("no such user", "user_id")
        return target

    @rpc
    def offboard(self, token: str, user_id: str, plan: dict) -> dict:
        actor = self.keys.actor(token, *offboarding.OFFBOARDERS)
        if parse_id(user_id, "user_id") == actor.user_id:
            raise Forbidden("nobody offboards themselves", "user_id")
        wanted = parse(c.HandoverPlan, plan)
        leaver = self._leaver(actor, user_id, lock=True)   # a second call waits here
        done = self.db.scalars(select(store.Offboarding).where(
            store.Offboarding.user_id == leaver.id)).first()
        if done is not None:
            if done.plan != wanted.canonical():
                raise Conflict("this user was offboarded already, with another plan",
                               "user_id")
            return _view(done)   # a retry
        self._check_plan(actor, leaver, wanted)
        now = clock.now()
        row = store.Offboarding(id=uuid.uuid4(), company_id=leaver.company_id,
                                user_id=leaver.id, team_id=leaver.team_id,
                                plan=wanted.canonical(), requested_by=actor.user_id,
                                requested_at=now, moved=0, done=False, projects=[])
        self.db.add(row)
        if leaver.active:
            commands.upsert_user(self.db, leaver.id, leaver.company_id, leaver.username, None,
                                 leaver.name, leaver.role, leaver.team_id,
                                 list(leaver.project_ids or []), active=False)
        self.emit(c.USER_OFFBOARDED, c.UserOffboarded(
            offboarding_id=row.id, company_id=row.company_id, user_id=leaver.id,
            team_id=leaver.team_id, plan=wanted, by=actor.user_id, at=now))
        self.db.commit()
        return _view(row)

    def _check_plan(self, actor, leaver: store.User, plan: c.HandoverPlan) -> None:
        """Refuse, naming the field, a plan that names someone who may not receive the
        customers, a project that is not the company's, or round-robin without a team."""
        # (The last admin is never offboarded: only an admin offboards an admin, and nobody
        # offboards themselves.)
        for project_id in plan.projects:
            project = self.db.get(store.Project, project_id)
            if project is None or project.company_id != actor.company_id or (
                    actor.role != Role.admin and project_id not in actor.project_ids):
                raise ValidationFailed("no such project", f"projects.{project_id}")
        covered = offboarding.covered_projects(plan, commands.fact_of(self.db, leaver)
                                               .project_ids)
        for prefix, _, rule in plan.rules():
            if rule.mode == c.HandoverMode.round_robin and leaver.team_id is None:
                raise ValidationFailed("the leaver has no team to spread the customers over",
                                       f"{prefix}mode")
            if rule.mode != c.HandoverMode.colleague:
                continue
            colleague = self.db.get(store.User, rule.to_user_id)
            refusal = offboarding.colleague_refusal(
                actor, leaver, colleague,
                commands.fact_of(self.db, colleague).project_ids if colleague else [],
                covered[prefix])
            if refusal:
                raise ValidationFailed(refusal, f"{prefix}to_user_id")

    @rpc
    def offboarding(self, token: str, user_id: str) -> dict:
        actor = self.keys.actor(token, *offboarding.OFFBOARDERS)
        leaver = self._leaver(actor, user_id)
        row = self.db.scalars(select(store.Offboarding).where(
            store.Offboarding.user_id == leaver.id)).first()
        if row is None:
            raise NotFound("this user was not offboarded", "user_id")
        return _view(row)

    @handles(leads.SERVICE, c.HANDOVER_PROGRESS)
    def on_handover_progress(self, session, env: Envelope) -> None:
        """Keep the latest report of a departure's handover (reports of a bulk reassignment
        are the leads service's to show)."""
        progress = c.HandoverProgress.model_validate(env.payload)
        if progress.user_id is None:
            return
        row = session.get(store.Offboarding, progress.handover_id, with_for_update=True)
        if row is None or row.done or (row.progress_at and row.progress_at > progress.at):
            return  # not ours, finished, or an older report than the one kept
        row.moved, row.total, row.done = progress.moved, progress.total, progress.done
        row.projects = [p.model_dump(mode="json") for p in progress.projects]
        row.progress_at = progress.at
        if progress.done:
            row.finished_at = progress.at
