"""报备 (registration by channel agents) and 判客 (rulings) entrypoints."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from contracts import leads as c
from contracts.actor import Role
from contracts.errors import Conflict, ValidationFailed, parse
from kit import clock, outbox, phones
from kit.service import Worker, rpc
from services.leads import pool, registrations, ruling, store

RULING_READERS = (Role.consultant, Role.manager, Role.director, Role.admin)


class Registrations(Worker):
    """Mixin of LeadsService."""

    @rpc
    def register(self, token: str, registration: dict) -> dict:
        actor = self.keys.actor(token, Role.channel_agent)
        new = parse(c.NewRegistration, registration)
        e164 = phones.normalise(new.phone)
        project = store.project(self.db, new.project_id)
        if project is None or project.company_id != actor.company_id \
                or new.project_id not in actor.project_ids:
            raise ValidationFailed("unknown project", "project_id")
        sealed = self.keys.vault.seal_phone(e164)
        registrations.lock_phone(self.db, actor.company_id, sealed.index)
        # The phone may be a customer's own, one of their extra phones, or a merged record's:
        # the registration is about that customer, whichever of their phones it names.
        key = store.customer_for_phone(self.db, actor.company_id, sealed.index)
        if key is not None:
            registrations.lock_customer(self.db, key)
        now = clock.now()
        held = registrations.for_person(self.db, actor.company_id, sealed.index, key)
        mine = next((r for r in held if r.agent_id == actor.user_id
                     and ruling.is_protected(r, now)), None)
        if mine is not None:
            self.db.rollback()
            return registrations.view(mine, now)  # a retry, or registering twice
        owned_since = key.created_at if key is not None and key.owner_id else None
        refusal = ruling.registration_refusal(held, actor.user_id, now, owned_since)
        if refusal:
            self.db.rollback()
            raise Conflict(refusal[0], "phone", refusal[1])
        rules = store.project_settings(self.db, new.project_id).protection
        reg = store.Registration(
            id=uuid.uuid4(), company_id=actor.company_id, project_id=new.project_id,
            phone_index=sealed.index, phone_enc=sealed.enc, phone_masked=sealed.masked,
            customer_name=new.name, agent_id=actor.user_id, agency=new.agency,
            status="active", registered_at=now,
            visit_protect_until=ruling.new_registration_window(now, rules), note=new.note)
        self.db.add(reg)
        outbox.record(self.db, store.Outbox, c.SERVICE, c.REGISTRATION_CREATED,
                      c.RegistrationCreated(
                          registration_id=reg.id, company_id=reg.company_id,
                          project_id=reg.project_id, agent_id=reg.agent_id, agency=reg.agency,
                          phone_index=reg.phone_index, registered_at=now,
                          visit_protect_until=reg.visit_protect_until))
        self.db.commit()
        return registrations.view(reg, now)

    @rpc
    def my_registrations(self, token: str) -> dict:
        actor = self.keys.actor(token, Role.channel_agent)
        rows = self.db.scalars(select(store.Registration).where(
            store.Registration.company_id == actor.company_id,
            store.Registration.agent_id == actor.user_id)
            .order_by(store.Registration.registered_at.desc()).limit(200))
        now = clock.now()
        return {"items": [registrations.view(r, now) for r in rows]}

    @rpc
    def rulings(self, token: str, customer_id: str) -> dict:
        """Every attribution decision about a customer, with its rule and reason."""
        actor = self.keys.actor(token, *RULING_READERS)
        key = pool.history_key(self.db, actor, customer_id)
        rows = self.db.scalars(select(store.Ruling)
                               .where(store.Ruling.customer_id == key.customer_id)
                               .order_by(store.Ruling.decided_at))
        return {"items": [{"id": str(r.id), "lead_id": str(r.lead_id) if r.lead_id else None,
                           "registration_id": str(r.registration_id)
                           if r.registration_id else None,
                           "outcome": r.outcome, "rule": r.rule, "reason": r.reason,
                           "attributed_to": str(r.attributed_to) if r.attributed_to else None,
                           "decided_at": r.decided_at.isoformat()} for r in rows]}
