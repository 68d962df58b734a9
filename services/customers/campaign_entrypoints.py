"""Campaigns to a segment, and the marketing opt-out (PIPL Art. 24): an opted-out customer is
never a recipient, and opting out is one click on the signed link every message carries."""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from contracts import customers as c
from contracts import tasks
from contracts.actor import Actor, Role
from contracts.envelope import Envelope
from contracts.errors import Conflict, NotFound, ValidationFailed, parse, parse_id
from kit import clock
from kit.inbox import handles
from kit.scope import Visibility, visibility
from kit.service import rpc
from services.customers import optout, segments, store
from services.customers.access import CustomersBase, marketing_view
from services.customers.privacy_store import record_marketing_choice

C = store.Customer
CAMPAIGN_ROLES = (Role.manager, Role.director, Role.admin)
RECIPIENT_PAGE_MAX = 1000


def campaign_view(row: store.Campaign) -> dict:
    return c.CampaignView(id=row.id, segment_id=row.segment_id, channel=row.channel,
                          message=row.message, status=row.status, recipients=row.recipients,
                          skipped_opted_out=row.skipped_opted_out, created_by=row.created_by,
                          created_at=row.created_at, delivered=row.delivered,
                          failed=row.failed, not_sent=row.not_sent,
                          finished_at=row.finished_at).model_dump(mode="json")


def fingerprint(new: c.NewCampaign) -> str:
    """What a retry must ask again to be answered with the campaign its key started."""
    text = json.dumps(new.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# How a customer who clicked the opt-out link of a campaign was reached.
LINK_CHANNELS = {"sms": c.ConsentChannel.sms, "wechat": c.ConsentChannel.wechat,
                 "in_app": c.ConsentChannel.app}


class Campaigns(CustomersBase):
    """Mixin of CustomersService."""

    @rpc
    def start_campaign(self, token: str, spec: dict, idempotency_key: str | None = None) -> dict:
        """Count the segment in the starter's scope, opted-out customers apart, record the
        campaign and announce it with one campaign.started event. The event carries the count
        and the segment, not the recipients (see contracts.customers.CampaignStarted): the
        notification service pages through campaign_recipients to deliver. A retry with the
        starter's Idempotency-Key answers the campaign it started, and sends nothing again."""
        actor = self.keys.actor(token, *CAMPAIGN_ROLES)
        if idempotency_key is not None and not (0 < len(str(idempotency_key)) <= 200):
            raise ValidationFailed("must be 1 to 200 characters", "Idempotency-Key")
        new = parse(c.NewCampaign, spec)
        asked = fingerprint(new)
        if idempotency_key:
            replay = self._replayed_campaign(actor, idempotency_key, asked)
            if replay is not None:
                return replay
        segment = self._segment(actor, new.segment_id)
        now = clock.now()
        counts = segments.members(select(
            func.count().filter(C.marketing_opt_out.is_(False)),
            func.count().filter(C.marketing_opt_out.is_(True))).select_from(C),
            self._stored_filter(segment), visibility(actor), now)
        recipients, skipped = self.db.execute(counts).one()
        if recipients == 0:
            raise ValidationFailed("nobody to send to: the segment holds no customer in your "
                                   "scope who has not opted out", "segment_id")
        row = store.Campaign(id=uuid.uuid4(), company_id=actor.company_id,
                             segment_id=segment.id, channel=new.channel.value,
                             message=new.message, status="started", recipients=recipients,
                             skipped_opted_out=skipped, created_by=actor.user_id,
                             created_at=now, idempotency_key=idempotency_key or None,
                             request_hash=asked)
        self.db.add(row)
        self.emit(c.CAMPAIGN_STARTED, c.CampaignStarted(
            campaign_id=row.id, company_id=actor.company_id, segment_id=segment.id,
            channel=new.channel, message=new.message, recipients=recipients,
            skipped_opted_out=skipped, started_by=actor.user_id, started_at=now))
        try:
            self.db.commit()
        except IntegrityError:
            self.db.rollback()   # the same key raced us and won: its campaign is the answer
            replay = idempotency_key and self._replayed_campaign(actor, idempotency_key, asked)
            if not replay:
                raise
            return replay
        return campaign_view(row)

    def _replayed_campaign(self, actor: Actor, key: str, asked: str) -> dict | None:
        seen = self.db.scalars(select(store.Campaign).where(
            store.Campaign.company_id == actor.company_id,
            store.Campaign.created_by == actor.user_id,
            store.Campaign.idempotency_key == key)).first()
        if seen is None:
            return None
        if seen.request_hash != asked:
            raise Conflict("this Idempotency-Key was used for a different campaign",
                           "Idempotency-Key")
        return campaign_view(seen)

    @rpc
    def campaigns(self, token: str) -> dict:
        actor = self.keys.actor(token, *CAMPAIGN_ROLES)
        stmt = select(store.Campaign).where(store.Campaign.company_id == actor.company_id)
        if actor.role != Role.admin:
            stmt = stmt.where(store.Campaign.created_by == actor.user_id)
        rows = self.db.scalars(stmt.order_by(store.Campaign.created_at.desc()).limit(200))
        return {"items": [campaign_view(row) for row in rows]}

    def _campaign(self, actor: Actor, campaign_id) -> store.Campaign:
        wanted = parse_id(campaign_id, "campaign_id")
        row = self.db.get(store.Campaign, wanted)
        mine = actor.role in (Role.admin, Role.integration) or (
            row is not None and row.created_by == actor.user_id)
        if row is None or row.company_id != actor.company_id or not mine:
            raise NotFound("no such campaign", "campaign_id")
        return row

    def _starter_visibility(self, campaign: store.Campaign) -> Visibility:
        """The scope of whoever started the campaign (from the directory's read copy), so the
        notification service, calling with its own integration token, reaches no one else."""
        user = self.db.execute(select(store.Users).where(
            store.Users.c.id == campaign.created_by)).first()
        if user is None or user.company_id != campaign.company_id:
            return Visibility("none", campaign.company_id)
        return visibility(Actor(user_id=user.id, company_id=user.company_id, role=user.role,
                                team_id=user.team_id, project_ids=tuple(user.project_ids)))

    @rpc
    def campaign_recipients(self, token: str, campaign_id: str, after: str | None = None,
                            limit: int = 500) -> dict:
        """Who receives the campaign, by customer id from `after` (a cursor), each with their
        signed opt-out link (`opt_out_path`, to be put after the gateway's public address).
        The notification service (an integration token) also gets what delivery needs: the
        owner and the phone as stored (`phone_enc`, opened only at the moment of sending).

        Resolved as the campaign was started: its segment, at its start time, in its
        starter's scope, customers created since left out. Opted-out customers are left out
        as of now, so an opt-out between the start and the delivery is honoured too."""
        actor = self.keys.actor(token, *CAMPAIGN_ROLES, Role.integration)
        campaign = self._campaign(actor, campaign_id)
        if isinstance(limit, bool) or not isinstance(limit, int) \
                or not 1 <= limit <= RECIPIENT_PAGE_MAX:
            raise ValidationFailed(f"limit is 1 to {RECIPIENT_PAGE_MAX}", "limit")
        segment = self.db.get(store.Segment, campaign.segment_id)
        stmt = segments.members(
            select(C.id, C.name, C.phone_masked, C.phone_enc, C.owner_id),
            self._stored_filter(segment),
            self._starter_visibility(campaign), campaign.created_at,
        ).where(C.marketing_opt_out.is_(False), C.created_at <= campaign.created_at)
        if after is not None:
            stmt = stmt.where(C.id > parse_id(after, "after"))
        rows = self.db.execute(stmt.order_by(C.id).limit(limit)).all()
        secret = self.keys.settings.secret_key
        for_delivery = actor.role == Role.integration
        items = []
        for row in rows:
            link = optout.sign(secret, row.id, campaign.id)
            item = {"customer_id": str(row.id), "name": row.name,
                    "phone_masked": row.phone_masked, "opt_out_token": link,
                    "opt_out_path": optout.path(link)}
            if for_delivery:
                item |= {"phone_enc": row.phone_enc,
                         "owner_id": str(row.owner_id) if row.owner_id else None}
            items.append(item)
        return {"campaign_id": str(campaign.id), "items": items,
                "next_after": items[-1]["customer_id"] if len(items) == limit else None}

    @handles(tasks.SERVICE, tasks.CAMPAIGN_DELIVERY_PROGRESS)
    def on_campaign_progress(self, session, env: Envelope) -> None:
        """The notification service's counts; a late report never overwrites a newer."""
        progress = tasks.CampaignProgress.model_validate(env.payload)
        row = session.get(store.Campaign, progress.campaign_id, with_for_update=True)
        if row is None or row.company_id != progress.company_id \
                or row.progress_revision >= progress.revision:
            return
        row.progress_revision = progress.revision
        row.delivered, row.failed = progress.delivered, progress.failed
        row.not_sent = progress.not_sent
        row.status = "delivered" if progress.finished else "delivering"
        row.finished_at = progress.at if progress.finished else None

    @rpc
    def opt_out(self, link: str) -> dict:
        """The customer's one click: no login, the signed link is the credential. Clicking
        again changes nothing (the first opt-out's time and record stay)."""
        customer_id, campaign_id = optout.verify(self.keys.settings.secret_key, link)
        row = self._lock_customer(customer_id)
        if row is not None and row.merged_into is not None:   # the same person lives on
            row = self._lock_customer(row.merged_into)
        if row is None:
            raise NotFound("this opt-out link is not valid", "token")
        if row.marketing_opt_out or row.erased_at is not None:
            self.db.rollback()
            return {"opted_out": True, "changed": False}
        campaign = self.db.get(store.Campaign, campaign_id) if campaign_id else None
        # The customer acted: their own id stands as the actor.
        record_marketing_choice(
            self.db, row, opt_out=True, actor_id=row.id, recorded_by=None,
            channel=LINK_CHANNELS.get(campaign.channel if campaign else None,
                                      c.ConsentChannel.sms),
            evidence=f"退订链接 opt-out link of campaign {campaign_id}" if campaign_id
            else "退订链接 opt-out link",
            extra={"opt_out_via": [None, "link"],
                   "campaign_id": [None, str(campaign_id) if campaign_id else None]})
        self.db.commit()
        return {"opted_out": True, "changed": True}

    def _lock_customer(self, customer_id) -> store.Customer | None:
        return self.db.scalars(select(C).where(C.id == customer_id).with_for_update()).first()

    @rpc
    def set_marketing_opt_out(self, token: str, customer_id: str, change: dict) -> dict:
        """Staff recording the customer's request (a phone call, at the counter): audited in
        the customer's history with who, when and why."""
        actor, customer = self._workable(token, customer_id)
        wanted = parse(c.MarketingOptOut, change)
        if customer.marketing_opt_out != wanted.opt_out:
            extra = {"opt_out_via": [None, "staff"]}
            if wanted.reason:
                extra["opt_out_reason"] = [None, wanted.reason]
            record_marketing_choice(self.db, customer, opt_out=wanted.opt_out,
                                    actor_id=actor.user_id, recorded_by=actor.user_id,
                                    channel=wanted.channel, evidence=wanted.reason,
                                    extra=extra)
        self.db.commit()
        return marketing_view(customer)

    @rpc
    def marketing_status(self, token: str, customer_id: str) -> dict:
        """Opt-out and referral standing of one customer in your scope."""
        actor = self.keys.actor(token)
        return marketing_view(self._visible(actor, customer_id))
