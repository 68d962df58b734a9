"""The SOP engine's reactions: a stage entered opens its tasks; leaving it completes or
cancels them; a follow-up completes the tasks it is evidence for; ownership moves tasks."""

from __future__ import annotations

from contracts import customers, handover, leads
from contracts import tasks as c
from contracts.actor import Role
from contracts.envelope import Envelope
from contracts.errors import Forbidden, parse
from kit import clock
from kit.db import locked_row
from kit.inbox import handles
from kit.scope import project_of
from kit.service import Worker, rpc
from services.tasks import domain, engine, store


class SopEngine(Worker):
    """Mixin of TasksService."""

    @handles(customers.SERVICE, customers.CUSTOMER_CREATED)
    def on_customer_created(self, session, env: Envelope) -> None:
        fact = customers.CustomerCreated.model_validate(env.payload)
        engine.track(session, customer_id=fact.customer_id, company_id=fact.company_id,
                     project_id=fact.project_id, owner_id=fact.owner_id, stage="new",
                     at=fact.created_at, progress=True)
        if fact.owner_id is None:
            return  # in the pool or on offer: nobody to give the tasks to yet
        engine.open_stage_tasks(session, env.id, company_id=fact.company_id,
                                project_id=fact.project_id, customer_id=fact.customer_id,
                                owner_id=fact.owner_id, stage="new", since=fact.created_at,
                                correlation_id=env.correlation_id)

    @handles(leads.SERVICE, leads.CUSTOMER_CLAIMED)
    def on_customer_claimed(self, session, env: Envelope) -> None:
        change = leads.OwnershipChanged.model_validate(env.payload)
        engine.track(session, customer_id=change.customer_id, company_id=change.company_id,
                     project_id=change.project_id, owner_id=change.owner_id, at=change.at,
                     progress=True)
        if change.action in ("grab", "grab_fallback"):
            # A new customer grabbed (抢单) or handed out when nobody grabbed it.
            engine.open_stage_tasks(session, env.id, company_id=change.company_id,
                                    project_id=change.project_id,
                                    customer_id=change.customer_id, owner_id=change.owner_id,
                                    stage="new", since=change.at,
                                    correlation_id=env.correlation_id)
        else:
            engine.reassign_open(session, change.customer_id, change.owner_id)

    @handles(leads.SERVICE, handover.CUSTOMERS_HANDED_OVER)
    def on_customers_handed_over(self, session, env: Envelope) -> None:
        """A handover's batch (离职交接, 批量转移): open tasks go with each customer to the
        new owner, deadlines and alerts as they were; a customer handed to the pool has its
        open tasks cancelled, as a release does. A new owner is progress (as a claim is):
        the recycling clock starts again for them."""
        batch = handover.HandedOver.model_validate(env.payload)
        engine.reassign_open_many(session, {m.customer_id: m.owner_id for m in batch.moves
                                            if m.owner_id is not None})
        pooled = [m.customer_id for m in batch.moves if m.owner_id is None]
        if pooled:
            engine.cancel(session, engine.open_tasks(session, pooled),
                          f"released to the pool: {batch.reason}")
        engine.track_many(session, [{"customer_id": m.customer_id,
                                     "company_id": batch.company_id,
                                     "project_id": m.project_id, "owner_id": m.owner_id}
                                    for m in batch.moves if m.project_id is not None],
                          at=batch.at, progress=True)

    @handles(leads.SERVICE, leads.CUSTOMER_RELEASED)
    def on_customer_released(self, session, env: Envelope) -> None:
        change = leads.OwnershipChanged.model_validate(env.payload)
        engine.cancel(session, engine.open_tasks(session, change.customer_id),
                      f"released to the pool: {change.reason or change.action}")
        engine.track(session, customer_id=change.customer_id, company_id=change.company_id,
                     project_id=change.project_id, owner_id=None, at=change.at,
                     progress=True)

    @handles(customers.SERVICE, customers.CUSTOMER_STAGE_CHANGED)
    def on_stage_changed(self, session, env: Envelope) -> None:
        change = customers.StageChanged.model_validate(env.payload)
        leaving = engine.open_tasks(session, change.customer_id, change.from_stage.value)
        for task in leaving:
            if task.evidence == "stage":
                engine.complete(session, task, by=change.actor_id)
        engine.cancel(session, [t for t in leaving if t.status == c.TaskStatus.open.value],
                      f"left the stage {change.from_stage.value}")
        engine.track(session, customer_id=change.customer_id, company_id=change.company_id,
                     project_id=change.project_id, owner_id=change.owner_id,
                     stage=change.to_stage.value, at=change.at, progress=True)
        if change.owner_id is not None:
            engine.open_stage_tasks(session, env.id, company_id=change.company_id,
                                    project_id=change.project_id,
                                    customer_id=change.customer_id, owner_id=change.owner_id,
                                    stage=change.to_stage.value, since=change.at,
                                    correlation_id=env.correlation_id)

    @handles(customers.SERVICE, customers.FOLLOWUP_LOGGED)
    def on_followup_logged(self, session, env: Envelope) -> None:
        logged = customers.FollowupLogged.model_validate(env.payload)
        for task in engine.open_tasks(session, logged.customer_id):
            if domain.completed_by_followup(task, logged.type.value):
                engine.complete(session, task, by=logged.actor_id,
                                note=f"completed by a {logged.type.value} follow-up")
        engine.track(session, customer_id=logged.customer_id, company_id=logged.company_id,
                     project_id=logged.project_id, owner_id=logged.owner_id, at=logged.at,
                     progress=True)  # a follow-up is progress: it resets the recycle clock

    @rpc
    def get_sop(self, token: str, project_id: str) -> dict:
        actor = self.keys.actor(token)
        return engine.template_for(self.db, self._sop_project(actor, project_id)).model_dump()

    @rpc
    def update_sop(self, token: str, project_id: str, template: dict) -> dict:
        actor = self.keys.actor(token)
        project = self._sop_project(actor, project_id)
        if actor.role not in (Role.admin, Role.director):
            raise Forbidden("only the project's director or an admin changes its SOP")
        sop = parse(c.SopTemplate, template)
        now = clock.now()
        row = locked_row(self.db, store.SopTemplateRow, project, company_id=actor.company_id,
                         template=sop.model_dump(), revision=0, updated_at=now,
                         updated_by=actor.user_id)
        row.template, row.revision = sop.model_dump(), row.revision + 1
        row.updated_at, row.updated_by = now, actor.user_id
        self.db.commit()
        return sop.model_dump()

    def _sop_project(self, actor, project_id):
        return project_of(actor, project_id)
