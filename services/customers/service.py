"""Customers service entrypoints: the profile, scoped reads, and reactions to leads."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from psycopg.types.json import Jsonb
from sqlalchemy import func, or_, select, update

from contracts import customers as c
from contracts import leads
from contracts.envelope import Envelope
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed, parse, parse_id
from kit import clock, phones
from kit.db import held_for_session
from kit.inbox import handles
from kit.readcopy import KeepsRevokedTokens, KeepsUserCopy
from kit.scope import visibility
from kit.service import KeyuanService, rpc
from services.customers import domain, project_setup, referral, store
from services.customers.access import phone_views, phones_of
from services.customers.attachment_entrypoints import Attachments
from services.customers.audit_entrypoints import PrivacyAudit
from services.customers.campaign_entrypoints import Campaigns
from services.customers.funnel_entrypoints import Funnel
from services.customers.handover_entrypoints import Handovers
from services.customers.merge_entrypoints import Merges
from services.customers.phone_entrypoints import Phones
from services.customers.pii_entrypoints import PersonalData
from services.customers.profile_entrypoints import Profile
from services.customers.project_setup_entrypoints import ProjectSetups
from services.customers.referral_entrypoints import Referrals
from services.customers.segment_entrypoints import Segments
from services.customers.subject_request_entrypoints import SubjectRequests


class CustomerNotYetCreated(LookupError):
    """An ownership change arrived before the customer's profile; it will be retried."""




# How long a just-created customer's profile is awaited (lead.created takes ~0.3 s to be
# applied here under load); a longer lag answers 404 as before.
CATCH_UP_SECONDS = 3.0


class CustomersService(SubjectRequests, PrivacyAudit, Merges, PersonalData,  # PIPL
                       Segments, Campaigns, Referrals, Attachments, ProjectSetups, Phones,
                       Profile, Funnel, Handovers,
                       KeepsUserCopy, KeepsRevokedTokens, KeyuanService):
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox
    users_table = store.Users
    revoked_tokens_table = store.RevokedTokens
    leads_rpc = RpcProxy(leads.SERVICE)

    @rpc
    def list(self, token: str, query: dict | None = None) -> dict:
        actor = self.keys.actor(token)
        q = parse(c.CustomerQuery, query)
        stmt = store.scoped(select(store.Customer), visibility(actor)).where(
            store.Customer.merged_into.is_(None))   # a merged record lives on in its survivor
        if q.stage:
            stmt = stmt.where(store.Customer.stage == q.stage.value)
        if q.grade:
            stmt = stmt.where(store.Customer.grade == q.grade)
        if q.ids is not None:
            stmt = stmt.where(store.Customer.id.in_(q.ids))
        if q.project_id:
            stmt = stmt.where(store.Customer.project_id == q.project_id)
        if q.owner_id:
            stmt = stmt.where(store.Customer.owner_id == q.owner_id)
        if q.q:
            stmt = stmt.where(self._search(actor.company_id, q.q))
        if q.tag:
            dimension, _, value = q.tag.partition(":")
            stmt = stmt.where(store.Customer.id.in_(select(store.CustomerTag.customer_id).where(
                store.CustomerTag.dimension == dimension, store.CustomerTag.value == value)))
        order: tuple[Any, ...] = (store.Customer.created_at.desc(), store.Customer.id)
        if q.completeness_below is not None:
            stmt = stmt.where(store.Customer.completeness < q.completeness_below)
            order = (store.Customer.completeness, *order)
        if q.silent_days is not None:
            quiet_since = func.coalesce(store.Customer.last_followup_at,
                                        store.Customer.created_at)
            stmt = stmt.where(quiet_since < clock.now() - timedelta(days=q.silent_days))
            order = (quiet_since, *order)
        total = self.db.scalar(select(func.count()).select_from(stmt.subquery()))
        # The page's ids first, then their rows: filtered and sorted from the list index
        # alone (customers_0014), a team's 10,000 customers among a million are not each
        # read from the table to find the 50 shown (bench/desk_customers.py).
        ids = list(self.db.scalars(stmt.with_only_columns(store.Customer.id).order_by(*order)
                                   .limit(q.page_size).offset((q.page - 1) * q.page_size)))
        found = {row.id: row for row in self.db.scalars(
            select(store.Customer).where(store.Customer.id.in_(ids)))} if ids else {}
        rows = [found[i] for i in ids if i in found]
        return {"items": self._customer_views(rows, actor),
                "total": total, "page": q.page, "page_size": q.page_size}

    def _search(self, company_id, text: str):
        """A name (part of it), or a whole phone number in any form (by its blind index,
        primary or extra: numbers are never searched in plain text)."""
        by_name = store.Customer.name.contains(text, autoescape=True)
        digits = sum(ch.isdigit() for ch in text)
        if digits < 7:
            return by_name
        try:
            index = self.keys.vault.blind_index(phones.normalise(text))
        except ValidationFailed:
            return by_name
        extra = select(store.CustomerPhone.customer_id).where(
            store.CustomerPhone.company_id == company_id,
            store.CustomerPhone.phone_index == index)
        return or_(by_name, store.Customer.phone_index == index,
                   store.Customer.id.in_(extra))

    @rpc
    def get(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token)
        try:
            row = self._visible(actor, customer_id)
        except NotFound:
            row = self._once_created(token, actor, customer_id)
        return self._customer_view(row, actor)

    def _once_created(self, token: str, actor, customer_id) -> store.Customer:
        """Read your own writes: the caller whose POST /api/leads just answered 201 opens the
        customer at once, while its lead.created may still be on the way here. When this
        service holds no row of the id and the leads service knows it in the caller's
        company, wait (without a lock, eventlet-friendly) for the event's effect, then answer
        as usual; an id nobody created, or one out of the caller's scope, stays a 404."""
        wanted = parse_id(customer_id, "customer_id")
        if self.db.get(store.Customer, wanted) is None:
            if not self._leads_know(token, wanted):
                raise NotFound("no such customer", "customer_id")
            deadline = time.monotonic() + CATCH_UP_SECONDS
            while self.db.get(store.Customer, wanted) is None:
                if time.monotonic() > deadline:
                    raise NotFound("no such customer", "customer_id")
                self.db.rollback()  # no pooled connection held while waiting
                eventlet.sleep(0.02)
        # Created meanwhile (or before): the caller's scope decides as for any customer.
        return self._visible(actor, customer_id)

    def _leads_know(self, token: str, customer_id: uuid.UUID) -> bool:
        """Best effort: with no leads service running the answer is the usual 404, also when
        its queue outlived it (nobody consumes the question): the wait is bounded."""
        seconds = min(CATCH_UP_SECONDS, self.keys.settings.rpc_timeout_seconds)
        try:
            with eventlet.Timeout(seconds):
                return bool(self.leads_rpc.customer_known(token, str(customer_id)))
        except (UnknownService, eventlet.Timeout):
            return False

    @rpc
    def reveal_phone(self, token: str, customer_id: str, reason: str | None = None) -> dict:
        actor = self.keys.actor(token)
        row = self._visible(actor, customer_id)
        if not domain.may_reveal(actor, row.owner_id):
            raise Forbidden("revealing this customer's phone needs the pii:reveal scope")
        if row.erased_at is not None:
            raise Conflict("this customer's personal data was erased", "customer_id")
        if reason is not None and len(str(reason)) > 500:
            raise ValidationFailed("at most 500 characters", "reason")
        self.db.add(store.PiiAudit(id=uuid.uuid4(), company_id=actor.company_id,
                                   actor_id=actor.user_id, customer_id=row.id,
                                   action="reveal_phone", reason=reason, at=clock.now()))
        self.db.commit()
        extra = phones_of(self.db, [row.id]).get(row.id, [])
        return {"customer_id": str(row.id),
                "phone": phones.national(self.keys.vault.open_phone(row.phone_enc)),
                "phones": phone_views(extra, True, self.keys.vault.open_phone)}

    @handles(leads.SERVICE, leads.CUSTOMER_CLAIMED)
    def on_customer_claimed(self, session, env: Envelope) -> None:
        self._follow_owner(session, leads.OwnershipChanged.model_validate(env.payload))

    @handles(leads.SERVICE, leads.CUSTOMER_RELEASED)
    def on_customer_released(self, session, env: Envelope) -> None:
        self._follow_owner(session, leads.OwnershipChanged.model_validate(env.payload))

    def _follow_owner(self, session, change: leads.OwnershipChanged) -> None:
        """Ownership is decided by the leads service; apply it unless a newer one is here.

        The change may overtake the customer's lead.created (another queue): then fail, so
        the event is requeued and applied once the profile exists."""
        applied = session.execute(update(store.Customer).where(
            store.Customer.id == change.customer_id,
            store.Customer.owner_revision < change.owner_revision,
        ).values(owner_id=change.owner_id, owner_revision=change.owner_revision,
                 updated_at=change.at).returning(store.Customer.id)).first()
        if applied is None and session.get(store.Customer, change.customer_id) is None:
            raise CustomerNotYetCreated(str(change.customer_id))

    def _referral_of(self, session, lead: leads.LeadCreated) -> dict:
        """老带新 named on the lead: the referrer (where a merged one lives on), if they are
        a live customer of the company; the reward starts from the new customer's stage."""
        if lead.referrer_customer_id is None or lead.referrer_customer_id == lead.customer_id:
            return {}
        referrer = session.get(store.Customer, lead.referrer_customer_id)
        if referrer is not None and referrer.merged_into is not None:
            referrer = session.get(store.Customer, referrer.merged_into)
        if referrer is None or referrer.company_id != lead.company_id \
                or referrer.erased_at is not None:
            return {}
        return {"referrer_id": referrer.id,
                "referral_reward": referral.reward(c.Stage.new).value}

    def _regrade(self, session, lead: leads.LeadCreated) -> None:
        """Another lead of a known customer: a warmer grade raises theirs (domain rule)."""
        customer = session.get(store.Customer, lead.customer_id, with_for_update=True)
        if customer is None:
            return
        grade = domain.grade_after_lead(customer.grade, customer.grade_set_by, lead.grade)
        if grade is not None:
            customer.grade, customer.grade_set_by = grade, domain.GRADED_BY_LEAD

    @handles(leads.SERVICE, leads.LEAD_CREATED)
    def on_lead_created(self, session, env: Envelope) -> None:
        lead = leads.LeadCreated.model_validate(env.payload)
        if lead.duplicate:
            self._regrade(session, lead)
            return
        portrait = domain.portrait_from_lead(lead.portrait)
        completeness = project_setup.score(project_setup.filled_fields(
            portrait, has_name=bool(lead.name), has_phone=True, has_wechat=False, tags={}),
            held_for_session(session, "project_setup", lead.project_id,
                             lambda: self._setup(lead.project_id))).percent
        created = store.NEW_CUSTOMER.execute(
            session, id=lead.customer_id, company_id=lead.company_id,
            project_id=lead.project_id, name=lead.name, phone_enc=lead.phone.enc,
            phone_index=lead.phone.index, phone_masked=lead.phone.masked,
            owner_id=lead.owner_id, stage=c.Stage.new.value, channel=lead.channel.value,
            first_lead_id=lead.lead_id, created_at=lead.created_at,
            updated_at=lead.created_at, version=1, stage_entered_at=lead.created_at,
            portrait=Jsonb(portrait), completeness=completeness, sub_source=lead.sub_source,
            grade=lead.grade, grade_set_by=domain.GRADED_BY_LEAD if lead.grade else None,
            **{"referrer_id": None, "referral_reward": None,
               **self._referral_of(session, lead)}).first()
        if created:
            self.emit(c.CUSTOMER_CREATED, c.CustomerCreated(
                customer_id=lead.customer_id, company_id=lead.company_id,
                project_id=lead.project_id, owner_id=lead.owner_id, lead_id=lead.lead_id,
                channel=lead.channel.value, stage=c.Stage.new, created_at=lead.created_at),
                correlation_id=env.correlation_id or str(env.id))
