"""Delivering customers' campaigns, the work of the campaign handler and timers (see the
package docstring): recording campaign.started, reading the recipients page by page into
one delivery row each, sending the SMS, handing wechat and in_app campaigns to the owning
consultants, and reporting campaign.delivery_progress through the outbox. Every function
works in the caller's session; those the timers call commit."""

from __future__ import annotations

import logging
import uuid
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from prometheus_client import Counter
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg, insert
from sqlalchemy.orm import Session

from contracts import tasks as c
from contracts.customers import CampaignStarted, MarketingChanged
from kit import clock, outbox
from kit.crypto import Vault
from kit.db import rowcount
from services.tasks import store as tasks_store
from services.tasks.notify import campaign_rules as rules
from services.tasks.notify import channels, config, domain, sender, store
from services.tasks.notify.notifier import Notice, notify
from services.tasks.notify.store import DELIVERED, FAILED, NOT_SENT, PENDING

log = logging.getLogger(__name__)

SENT_TOTAL = Counter("keyuan_campaign_messages_sent_total",
                     "Campaign messages delivered: SMS the provider took, customers handed "
                     "to their consultant", ["channel"])
FAILURES = Counter("keyuan_campaign_message_failures_total",
                   "Campaign SMS attempts that failed (every try counts)", ["channel"])
FAILED_TOTAL = Counter("keyuan_campaign_messages_failed_total",
                       "Campaign messages given up after their last attempt", ["channel"])
NOT_SENT_TOTAL = Counter("keyuan_campaign_messages_not_sent_total",
                         "Campaign recipients not sent to (no SMS channel or phone, no "
                         "consultant, erased)", ["channel"])

R, D = store.CampaignRun, store.CampaignDelivery


def record_started(session: Session, fact: CampaignStarted, now: datetime) -> bool:
    """A campaign to deliver; False when it is recorded already (a repeated event)."""
    return session.execute(insert(R).values(
        campaign_id=fact.campaign_id, company_id=fact.company_id, channel=fact.channel.value,
        message=fact.message, started_by=fact.started_by, started_at=fact.started_at,
        announced=fact.recipients, expand_at=now, created_at=now)
        .on_conflict_do_nothing(index_elements=[R.campaign_id])
        .returning(R.campaign_id)).first() is not None


# --- reading the recipients -------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A campaign whose next page this replica reads: from `cursor` (None: the first)."""

    campaign_id: uuid.UUID
    company_id: uuid.UUID
    cursor: uuid.UUID | None


@dataclass(frozen=True)
class Refused:
    """Why a page could not be read; `permanent`: no retry will change it."""

    error: str
    permanent: bool = False


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[Claim]:
    """Campaigns with a page due, leased to this replica for `lease` and committed, so no
    row lock is held while their pages are asked for; other replicas skip them."""
    rows = list(session.scalars(
        select(R).where(R.resolved.is_(False), R.expand_at <= now)
        .order_by(R.expand_at).limit(limit).with_for_update(skip_locked=True)))
    claims = [Claim(r.campaign_id, r.company_id, r.cursor) for r in rows]
    for row in rows:
        row.expand_at = now + lease
    session.commit()
    return claims


def _locked(session: Session, campaign_id) -> store.CampaignRun | None:
    return session.scalars(select(R).where(R.campaign_id == campaign_id).with_for_update()
                           .execution_options(populate_existing=True)).first()


def _still_mine(session: Session, claim: Claim) -> store.CampaignRun | None:
    """The claimed campaign, locked, unless its page was read meanwhile (the lease ran out
    and another replica read it): then nothing is recorded twice."""
    run = _locked(session, claim.campaign_id)
    if run is None or run.resolved or run.cursor != claim.cursor:
        session.rollback()
        return None
    return run


def record_page(session: Session, claim: Claim, page: rules.RecipientPage,
                now: datetime) -> None:
    """One delivery row per recipient of the page (a recipient recorded before is left
    alone), the cursor moved on, the progress reported; committed."""
    run = _still_mine(session, claim)
    if run is None:
        return
    statuses: Tally[str] = Tally()
    new = 0
    if page.items:
        sms = run.channel == rules.SMS
        # Opted out since the page was read (their opt-out overtook it).
        refused = opted_out_among(session, [item.customer_id for item in page.items])
        rows = []
        for item in page.items:
            status, why = ((NOT_SENT, rules.OPTED_OUT) if item.customer_id in refused
                           else rules.first_status(run.channel, item))
            rows.append({
                "id": uuid.uuid4(), "campaign_id": run.campaign_id,
                "company_id": run.company_id, "customer_id": item.customer_id,
                "channel": run.channel, "name": item.name, "owner_id": item.owner_id,
                "phone_enc": item.phone_enc if sms else None,
                "opt_out_path": item.opt_out_path if sms else None, "status": status,
                "attempts": 0, "next_attempt_at": now, "last_error": why,
                "created_at": now, "status_at": now})
        inserted = list(session.scalars(
            insert(D).values(rows)
            .on_conflict_do_nothing(constraint="uq_campaign_deliveries_customer")
            .returning(D.status)))
        new = len(inserted)
        statuses = Tally(s for s in inserted if s != PENDING)
        NOT_SENT_TOTAL.labels(run.channel).inc(statuses[NOT_SENT])
    run.expand_at, run.expand_attempts, run.last_error = now, 0, None
    counts = _counts(run).plus(statuses, new)
    if page.next_after is None:
        _resolve(session, run, counts, now)
    else:
        run.cursor = page.next_after
        _report(session, run, counts, now)
    session.commit()


def record_refusal(session: Session, claim: Claim, refused: Refused, now: datetime,
                   policy: sender.Policy) -> None:
    """The page is asked for again later (the notifications' backoff); a permanent refusal
    ends the reading with the recipients read so far. Committed."""
    run = _still_mine(session, claim)
    if run is None:
        return
    run.expand_attempts += 1
    run.last_error = refused.error[:1000]
    log.warning("campaign %s: reading recipients failed (try %d): %s", run.campaign_id,
                run.expand_attempts, refused.error)
    if refused.permanent:
        _resolve(session, run, _counts(run), now)
    else:
        run.expand_at = now + domain.backoff(run.expand_attempts, policy.retry_seconds,
                                             policy.retry_max_seconds)
    session.commit()


def _resolve(session: Session, run: store.CampaignRun, counts: rules.Counts,
             now: datetime) -> None:
    run.resolved = True
    if run.channel in rules.FORWARDED:
        counts = counts.plus(forward(session, run, now))
    _report(session, run, counts, now)


def forward(session: Session, run: store.CampaignRun, now: datetime) -> dict[str, int]:
    """A wechat or in_app campaign, every recipient read: one campaign_forward notice to
    each owning consultant naming their customers; those count as delivered."""
    names = array_agg(aggregate_order_by(D.name, D.name))[1:rules.NAMES_SHOWN]
    waiting = (D.campaign_id == run.campaign_id, D.status == PENDING, D.owner_id.is_not(None))
    # A consultant who left cannot send anything: their customers are not sent, with why.
    gone = rowcount(session.execute(update(D).where(*waiting, D.owner_id.not_in(
        select(tasks_store.Users.c.id).where(tasks_store.Users.c.active.is_(True))))
        .values(status=NOT_SENT, last_error=rules.OWNER_INACTIVE, status_at=now)))
    NOT_SENT_TOTAL.labels(run.channel).inc(gone)
    for owner, customers, shown in session.execute(
            select(D.owner_id, func.count(), names).where(*waiting).group_by(D.owner_id)):
        text = rules.forward_notice(run.campaign_id, run.channel, run.message, customers,
                                    list(shown))
        notify(session, Notice(
            company_id=run.company_id, recipient_id=owner, kind=c.NoticeKind.campaign_forward,
            title=text.title, body=text.body, link=text.link,
            dedupe_key=f"campaign_forward:{run.campaign_id}"))
    handed = rowcount(session.execute(update(D).where(*waiting)
                             .values(status=DELIVERED, status_at=now)))
    SENT_TOTAL.labels(run.channel).inc(handed)
    return {DELIVERED: handed, NOT_SENT: gone}


# --- progress -----------------------------------------------------------------------------

def _counts(run: store.CampaignRun) -> rules.Counts:
    return rules.Counts(run.recipients, run.delivered, run.failed, run.not_sent)


def _report(session: Session, run: store.CampaignRun, counts: rules.Counts,
            now: datetime) -> None:
    """The campaign's new counts, and campaign.delivery_progress with the next revision (the
    caller holds the campaign's row lock, so revisions only grow)."""
    run.recipients, run.delivered = counts.recipients, counts.delivered
    run.failed, run.not_sent = counts.failed, counts.not_sent
    run.revision += 1
    progress = rules.progress(run.campaign_id, run.company_id, counts, run.resolved,
                              run.revision, now)
    if progress.finished and run.finished_at is None:
        run.finished_at = now
    outbox.record(session, tasks_store.Outbox, c.SERVICE, c.CAMPAIGN_DELIVERY_PROGRESS,
                  progress)


def _report_changes(session: Session, reached: dict[uuid.UUID, Tally[str]],
                    now: datetime) -> None:
    for campaign_id in sorted(reached):     # one lock order: two replicas never deadlock
        run = _locked(session, campaign_id)
        if run is not None:
            _report(session, run, _counts(run).plus(reached[campaign_id]), now)


# --- sending SMS --------------------------------------------------------------------------

def send_due(session: Session, vault: Vault, policy: sender.Policy,
             send: sender.Send = sender.post, hours: str = "00:00-00:00") -> int:
    """Send one batch of due campaign SMS (FOR UPDATE SKIP LOCKED: no replica sends one
    twice) if now is within the sending `hours`, record the outcomes and report the
    campaigns' progress; returns how many were tried."""
    now = clock.now()
    if not rules.within_hours(now, hours):
        return 0   # marketing waits for the morning
    rows = list(session.scalars(
        select(D).where(D.status == PENDING, D.channel == rules.SMS, D.next_attempt_at <= now)
        .order_by(D.next_attempt_at).limit(policy.batch).with_for_update(skip_locked=True)))
    if not rows:
        session.commit()
        return 0
    messages = dict(session.execute(select(R.campaign_id, R.message).where(
        R.campaign_id.in_({r.campaign_id for r in rows}))).tuples().all())
    providers = {cid: _provider(session, vault, cid) for cid in {r.company_id for r in rows}}
    prepared = [_request(row, messages[row.campaign_id], providers[row.company_id], vault,
                         policy.link_base) for row in rows]
    errors = sender.post_all([(rules.SMS, request) for request in prepared], policy, send)
    done = clock.now()
    reached: dict[uuid.UUID, Tally[str]] = {}
    for row, request, error in zip(rows, prepared, errors, strict=True):
        status = _record(row, error, done, policy, tried=not isinstance(request, str))
        if status != PENDING:
            reached.setdefault(row.campaign_id, Tally())[status] += 1
    _report_changes(session, reached, done)
    session.commit()
    return len(rows)


def _provider(session: Session, vault: Vault, company_id) -> dict | str:
    """The company's SMS provider settings, or why there is none."""
    try:
        return config.opened_sms(store.stored_config(session, company_id), vault)
    except config.NotConfigured as exc:
        return str(exc)


def _request(row: store.CampaignDelivery, message: str, provider: dict | str, vault: Vault,
             link_base: str) -> channels.HttpRequest | str:
    """The SMS to one customer, the phone opened only now; or why it is not sent."""
    if isinstance(provider, str):
        return provider
    try:
        phone = vault.open_phone(row.phone_enc)
    except (ValueError, InvalidTag):
        return "the customer's phone cannot be opened"
    return channels.sms(provider["url"], provider["api_key"], provider["sender"], phone,
                        provider["templates"].get(c.NoticeKind.campaign.value,
                                                  c.NoticeKind.campaign.value),
                        rules.sms_params(message, row.opt_out_path, link_base))


def _record(row: store.CampaignDelivery, error: str | None, now: datetime,
            policy: sender.Policy, *, tried: bool) -> str:
    """One SMS's outcome: delivered, retried later (pending), failed, or not sent (not
    `tried`: `error` says why)."""
    if not tried:
        row.status, row.last_error, row.status_at = NOT_SENT, error, now
        NOT_SENT_TOTAL.labels(row.channel).inc()
        return NOT_SENT
    after = domain.after_attempt(row.attempts, error, now, max_attempts=policy.max_attempts,
                                 base_seconds=policy.retry_seconds,
                                 cap_seconds=policy.retry_max_seconds)
    row.attempts, row.last_error = after.attempts, after.last_error
    row.next_attempt_at = after.next_attempt_at
    if after.status == store.SENT:
        row.status, row.status_at = DELIVERED, now
        SENT_TOTAL.labels(row.channel).inc()
        return DELIVERED
    FAILURES.labels(row.channel).inc()
    if after.status == FAILED:
        row.status, row.status_at = FAILED, now
        FAILED_TOTAL.labels(row.channel).inc()
        log.warning("campaign %s: SMS %s failed after %d attempts: %s", row.campaign_id,
                    row.id, after.attempts, error)
    return row.status


# --- opt-out and erasure -------------------------------------------------------------------


def remember_choice(session: Session, fact: MarketingChanged, now: datetime) -> None:
    """Keep the customer's latest choice (an older one arriving late changes nothing); on an
    opt-out, drop what is queued for them."""
    M = store.MarketingChoice
    session.execute(insert(M).values(
        customer_id=fact.customer_id, company_id=fact.company_id, opted_out=fact.opted_out,
        at=fact.at).on_conflict_do_update(
        index_elements=[M.customer_id], set_={"opted_out": fact.opted_out, "at": fact.at},
        where=M.at < fact.at))
    if fact.opted_out:
        withdraw(session, fact.company_id, fact.customer_id, now)


def opted_out_among(session: Session, customer_ids: list) -> set:
    M = store.MarketingChoice
    return set(session.scalars(select(M.customer_id).where(
        M.customer_id.in_(customer_ids), M.opted_out.is_(True))))


def withdraw(session: Session, company_id, customer_id, now: datetime) -> int:
    """A customer who opted out gets nothing more that is still queued: their pending
    messages become not sent. Returns how many."""
    dropped = session.execute(update(D).where(
        D.company_id == company_id, D.customer_id == customer_id, D.status == PENDING,
    ).values(status=NOT_SENT, last_error=rules.OPTED_OUT, status_at=now)
        .returning(D.campaign_id, D.channel)).all()
    for _, channel in dropped:
        NOT_SENT_TOTAL.labels(channel).inc()
    _report_changes(session, {cid: Tally({NOT_SENT: n}) for cid, n
                              in Tally(cid for cid, _ in dropped).items()}, now)
    return len(dropped)


def forget(session: Session, company_id, customer_ids: list, now: datetime) -> int:
    """An erased person's deliveries go (they hold the phone's ciphertext and the name); one
    still pending counts as not sent. Returns how many went."""
    session.execute(delete(store.MarketingChoice).where(
        store.MarketingChoice.company_id == company_id,
        store.MarketingChoice.customer_id.in_(customer_ids)))
    gone = session.execute(delete(D).where(D.company_id == company_id,
                                           D.customer_id.in_(customer_ids))
                           .returning(D.campaign_id, D.status)).all()
    pending = Tally(campaign_id for campaign_id, status in gone if status == PENDING)
    _report_changes(session, {cid: Tally({NOT_SENT: n}) for cid, n in pending.items()}, now)
    return len(gone)


def person_deliveries(session: Session, company_id, customer_ids: list) -> list[dict]:
    """A person's part in campaigns, for their export: no phone."""
    rows = session.scalars(select(D).where(D.company_id == company_id,
                                           D.customer_id.in_(customer_ids))
                           .order_by(D.created_at))
    return [{"campaign_id": str(d.campaign_id), "customer_id": str(d.customer_id),
             "channel": d.channel, "status": d.status, "at": d.status_at.isoformat()}
            for d in rows]
