"""Handing customers over: a departure (user.offboarded from the directory), a bulk
reassignment (批量转移), the timer that moves them in batches; and what any deactivation
ends here (offers naming the person, their place in the walk-in rotation)."""

from __future__ import annotations

from nameko.timer import timer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts import directory
from contracts import handover as c
from contracts.actor import Role
from contracts.envelope import Envelope
from contracts.errors import Conflict, NotFound, ValidationFailed, parse, parse_id
from kit.inbox import handles
from kit.service import Worker, rpc
from services.leads import handover, offers, reassignment, store

# A tick moves at most this many batches, then lets the other timers of the worker pool in.
BATCHES_PER_TICK = 25


class Handovers(Worker):
    """Mixin of LeadsService."""

    @handles(directory.SERVICE, c.USER_OFFBOARDED)
    def on_user_offboarded(self, session, env: Envelope) -> None:
        fact = c.UserOffboarded.model_validate(env.payload)
        offers.withdraw_candidate(session, fact.user_id)
        handover.drop_from_reception(session, fact.user_id)
        handover.start_departure(session, fact)

    @handles(directory.SERVICE, directory.USER_UPSERTED)
    def on_user_deactivated(self, session, env: Envelope) -> None:
        """Any deactivation, not only a departure: offers are withdrawn from the person and
        the walk-in rotation drops them. Registrations (报备) are the agents' and stay."""
        fact = directory.UserFact.model_validate(env.payload)
        if fact.active:
            return
        u = store.Users.c
        now = session.execute(select(u.active, u.revision).where(u.id == fact.id)).first()
        if now is not None and now.revision > fact.revision and now.active:
            return  # active again since: this fact is stale
        offers.withdraw_candidate(session, fact.id)
        handover.drop_from_reception(session, fact.id)

    @timer(interval=1)
    def move_handovers(self) -> None:
        for _ in range(BATCHES_PER_TICK):
            handled = handover.move_batch(self.db)
            self.db.commit()
            if handled < handover.BATCH:
                break
        handover.finish_ready(self.db)
        self.db.commit()

    @rpc
    def reassign(self, token: str, request: dict, idempotency_key: str | None = None) -> dict:
        actor = self.keys.actor(token, Role.manager, Role.director, Role.admin)
        if idempotency_key is not None and not (0 < len(str(idempotency_key)) <= 200):
            raise ValidationFailed("must be 1 to 200 characters", "Idempotency-Key")
        wanted = parse(c.ReassignRequest, request)
        fingerprint = reassignment.fingerprint(wanted)
        if idempotency_key:
            replay = self._replayed_reassignment(actor, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        keys = reassignment.selected(self.db, actor, wanted)
        plan = wanted.plan()
        reassignment.check_plan(self.db, actor, plan, {project for _, project, _ in keys})
        try:
            job = handover.start_reassignment(
                self.db, company_id=actor.company_id, plan=plan, keys=keys,
                team_id=actor.team_id if actor.role == Role.manager else None,
                by=actor.user_id, idempotency_key=idempotency_key, request_hash=fingerprint,
                reason=wanted.reason)
            self.db.commit()
        except IntegrityError:
            self.db.rollback()   # the same Idempotency-Key raced us and won
            replay = idempotency_key and self._replayed_reassignment(actor, idempotency_key,
                                                                    fingerprint)
            if not replay:
                raise
            return replay
        return handover.status(self.db, job)

    def _replayed_reassignment(self, actor, key: str, fingerprint: str) -> dict | None:
        seen = self.db.scalars(select(store.Handover).where(
            store.Handover.company_id == actor.company_id,
            store.Handover.idempotency_key == key)).first()
        if seen is None:
            return None
        if seen.request_hash != fingerprint:
            raise Conflict("this Idempotency-Key was used for a different reassignment",
                           "Idempotency-Key")
        return handover.status(self.db, seen)

    @rpc
    def reassignment(self, token: str, reassignment_id: str) -> dict:
        actor = self.keys.actor(token, Role.manager, Role.director, Role.admin)
        wanted = parse_id(reassignment_id, "reassignment_id")
        job = self.db.get(store.Handover, wanted)
        if job is None or job.kind != handover.REASSIGN or not reassignment.may_read(
                self.db, actor, job):
            raise NotFound("no such reassignment", "reassignment_id")
        return handover.status(self.db, job)
