"""Sales-office walk-in rotation (轮岗接待): a next-up queue per project, with skip and pause."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlalchemy import delete, func, select

from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed, parse, parse_id
from kit import clock
from kit.service import Worker, rpc
from services.leads import domain, pool, store

FRONT_DESK = (Role.consultant, Role.manager, Role.director, Role.admin)


class PauseChange(BaseModel):
    paused: bool




class Reception(Worker):
    """Mixin of LeadsService."""

    def _reception_project(self, actor, project_id) -> uuid.UUID:
        wanted = parse_id(project_id, "project_id")
        project = store.project(self.db, wanted)
        if project is None or project.company_id != actor.company_id or (
                actor.role != Role.admin and wanted not in actor.project_ids):
            raise NotFound("no such project", "project_id")
        return wanted

    def _slots(self, project_id: uuid.UUID, lock: bool = False) -> list[store.ReceptionSlot]:
        stmt = select(store.ReceptionSlot).where(store.ReceptionSlot.project_id == project_id)
        if lock:
            stmt = stmt.with_for_update()
        return list(self.db.scalars(stmt.order_by(store.ReceptionSlot.position)))

    def _to_back(self, project_id: uuid.UUID, slot: store.ReceptionSlot) -> None:
        last = self.db.scalar(select(func.max(store.ReceptionSlot.position)).where(
            store.ReceptionSlot.project_id == project_id)) or 0
        slot.position = last + 1

    def _queue_view(self, project_id: uuid.UUID) -> dict:
        slots = self._slots(project_id)
        u = store.Users.c
        people = {row.id: row for row in self.db.execute(
            select(u.id, u.name, u.on_duty, u.active).where(
                u.id.in_([s.user_id for s in slots])))}
        return {"project_id": str(project_id), "items": [
            {"user_id": str(s.user_id), "name": people[s.user_id].name
             if s.user_id in people else None, "position": number,
             "paused": s.paused, "on_duty": bool(people.get(s.user_id) and
                                                 people[s.user_id].on_duty),
             "last_served_at": s.last_served_at.isoformat() if s.last_served_at else None}
            for number, s in enumerate(slots, start=1)]}

    def _may_manage(self, actor, user_id: uuid.UUID) -> bool:
        if actor.user_id == user_id or actor.role in (Role.admin, Role.director):
            return True
        return actor.role == Role.manager and pool.team_of(self.db, user_id) == actor.team_id

    @rpc
    def reception_queue(self, token: str, project_id: str) -> dict:
        actor = self.keys.actor(token, *FRONT_DESK)
        return self._queue_view(self._reception_project(actor, project_id))

    @rpc
    def reception_join(self, token: str, project_id: str, user_id: str | None = None) -> dict:
        actor = self.keys.actor(token, *FRONT_DESK)
        project = self._reception_project(actor, project_id)
        who = parse_id(user_id, "user_id") if user_id else actor.user_id
        if not self._may_manage(actor, who):
            raise Forbidden("you may add only yourself or your team", "user_id")
        if not pool.is_assignable(self.db, who, project):
            raise ValidationFailed("not an active consultant of this project", "user_id")
        self._slots(project, lock=True)
        if self.db.get(store.ReceptionSlot, (project, who)) is None:
            slot = store.ReceptionSlot(project_id=project, user_id=who, position=0,
                                       paused=False)
            self._to_back(project, slot)
            self.db.add(slot)
        self.db.commit()
        return self._queue_view(project)

    @rpc
    def reception_leave(self, token: str, project_id: str, user_id: str | None = None) -> dict:
        actor = self.keys.actor(token, *FRONT_DESK)
        project = self._reception_project(actor, project_id)
        who = parse_id(user_id, "user_id") if user_id else actor.user_id
        if not self._may_manage(actor, who):
            raise Forbidden("you may remove only yourself or your team", "user_id")
        self.db.execute(delete(store.ReceptionSlot).where(
            store.ReceptionSlot.project_id == project, store.ReceptionSlot.user_id == who))
        self.db.commit()
        return self._queue_view(project)

    @rpc
    def reception_next(self, token: str, project_id: str) -> dict:
        """A visitor arrived: who receives them. They go to the back of the line."""
        actor = self.keys.actor(token, *FRONT_DESK)
        project = self._reception_project(actor, project_id)
        slots = self._slots(project, lock=True)
        slot = domain.next_up(slots, set(store.assignable_consultants(self.db, project)))
        if slot is None:
            self.db.rollback()
            raise Conflict("nobody in the reception line is available", "project_id")
        slot.last_served_at = clock.now()
        self._to_back(project, slot)
        self.db.commit()
        return {"user_id": str(slot.user_id), "queue": self._queue_view(project)["items"]}

    @rpc
    def reception_skip(self, token: str, project_id: str, user_id: str) -> dict:
        """Send someone to the back without serving (busy with a customer, stepped out)."""
        actor = self.keys.actor(token, *FRONT_DESK)
        project = self._reception_project(actor, project_id)
        who = parse_id(user_id, "user_id")
        if not self._may_manage(actor, who):
            raise Forbidden("you may skip only yourself or your team", "user_id")
        self._slots(project, lock=True)
        slot = self.db.get(store.ReceptionSlot, (project, who))
        if slot is None:
            raise NotFound("not in the reception line", "user_id")
        self._to_back(project, slot)
        self.db.commit()
        return self._queue_view(project)

    @rpc
    def reception_pause(self, token: str, project_id: str, user_id: str,
                        change: dict) -> dict:
        actor = self.keys.actor(token, *FRONT_DESK)
        project = self._reception_project(actor, project_id)
        who = parse_id(user_id, "user_id")
        paused = parse(PauseChange, change).paused
        if not self._may_manage(actor, who):
            raise Forbidden("you may pause only yourself or your team", "user_id")
        slot = self.db.get(store.ReceptionSlot, (project, who), with_for_update=True)
        if slot is None:
            raise NotFound("not in the reception line", "user_id")
        slot.paused = paused
        self.db.commit()
        return self._queue_view(project)
