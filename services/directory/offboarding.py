"""Departures (离职交接) without I/O: who may offboard whom, and whom a plan may name."""

from __future__ import annotations

from uuid import UUID

from contracts.actor import Actor, Role
from contracts.handover import HandoverPlan

OFFBOARDERS = (Role.manager, Role.director, Role.admin)


def may_offboard(actor: Actor, target, target_team, target_projects: list[UUID]) -> bool:
    """The leaver's manager (of their team), a director of all their projects, or an admin
    of the company. Anyone else does not see the user at all (404)."""
    if target.company_id != actor.company_id:
        return False
    if actor.role == Role.admin:
        return True
    if actor.role == Role.manager:
        return target.role == Role.consultant.value and target_team is not None and (
            target_team.manager_id == actor.user_id
            or (actor.team_id is not None and target_team.id == actor.team_id))
    if actor.role == Role.director:
        return target.role in (Role.consultant.value, Role.manager.value) \
            and bool(target_projects) and set(target_projects) <= set(actor.project_ids)
    return False


def covered_projects(plan: HandoverPlan, leaver_projects: list[UUID]) -> dict[str, set]:
    """For each rule (by the field prefix naming it) the projects whose customers it gives
    away: a per-project rule its project, the default rule the leaver's other projects."""
    return {prefix: ({project} if project is not None else
                     {p for p in leaver_projects if p not in plan.projects})
            for prefix, project, _ in plan.rules()}


def colleague_refusal(actor: Actor, leaver, colleague, colleague_projects: list[UUID],
                      projects: set[UUID]) -> str | None:
    """Why this colleague may not receive the leaver's customers of `projects`, or None."""
    if colleague is None or colleague.company_id != actor.company_id:
        return "no such colleague"
    if colleague.id == leaver.id:
        return "the leaver cannot receive their own customers"
    if not colleague.active:
        return "this colleague is not active"
    if colleague.role != Role.consultant.value:
        return "customers go to a consultant"
    outside = sorted(str(p) for p in projects if p not in colleague_projects)
    if outside:
        return f"not a consultant of project {outside[0]}"
    if actor.role == Role.manager and colleague.team_id != actor.team_id:
        return "a manager hands customers only to their own team"
    return None
