"""Campaign delivery entrypoints (a mixin of TasksService): the customers service's
campaign.started, the timer that reads each campaign's recipients from the customers
service over RPC, and the timer that sends campaign SMS. The work is in `campaigns`."""

from __future__ import annotations

import time
from datetime import timedelta

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy
from nameko.timer import timer
from pydantic import ValidationError

from contracts import customers
from contracts.actor import Actor, Role
from contracts.envelope import Envelope
from kit import auth, clock
from kit.inbox import handles
from kit.service import Worker
from services.tasks.notify import campaign_rules as rules
from services.tasks.notify import campaigns, sender
from services.tasks.notify.entrypoints import drain

# Campaigns whose next page is asked for at once (rounds per tick: see drain()).
CAMPAIGNS_PER_ROUND = 5
TOKEN_TTL_SECONDS = 300


class CampaignDeliveries(Worker):
    customers_rpc = RpcProxy(customers.SERVICE)
    # Recipients per campaign_recipients call (its maximum is 1,000).
    campaign_page_size = 500

    @handles(customers.SERVICE, customers.CAMPAIGN_STARTED)
    def on_campaign_started(self, session, env: Envelope) -> None:
        fact = customers.CampaignStarted.model_validate(env.payload)
        campaigns.record_started(session, fact, clock.now())

    @handles(customers.SERVICE, customers.CUSTOMER_MARKETING_CHANGED)
    def on_marketing_changed(self, session, env: Envelope) -> None:
        fact = customers.MarketingChanged.model_validate(env.payload)
        campaigns.remember_choice(session, fact, clock.now())

    @timer(interval=1)
    def expand_campaigns(self) -> None:
        """Read the next pages of recipients of due campaigns, round after round while some
        campaign has more (up to the tick's limit); every replica may run it."""
        drain(self.db, self._expand_round, 1, "reading campaign recipients")

    def _expand_round(self) -> int:
        """One page of each of up to CAMPAIGNS_PER_ROUND due campaigns; returns how many of
        them have more pages to read now."""
        settings = self.keys.settings
        policy = sender.Policy.from_settings(settings)
        # Long enough for the calls of a round, so no other replica reads the same page.
        lease = timedelta(seconds=2 * settings.rpc_timeout_seconds + 10)
        claims = campaigns.claim_due(self.db, clock.now(), CAMPAIGNS_PER_ROUND, lease)
        more = 0
        for claim, page in zip(claims, self._pages(claims), strict=True):
            if isinstance(page, campaigns.Refused):
                campaigns.record_refusal(self.db, claim, page, clock.now(), policy)
            else:
                campaigns.record_page(self.db, claim, page, clock.now())
                more += page.next_after is not None
        return more

    def _pages(self, claims: list[campaigns.Claim]) -> list:
        """Each claim's page (a RecipientPage or why not), asked for all at once with no
        database lock held, within the RPC timeout."""
        settings = self.keys.settings
        replies = []
        for claim in claims:
            token, _ = auth.issue(Actor(user_id=rules.notifier_id(claim.company_id),
                                        company_id=claim.company_id, role=Role.integration),
                                  settings.secret_key, TOKEN_TTL_SECONDS)
            after = str(claim.cursor) if claim.cursor else None
            try:
                replies.append(self.customers_rpc.campaign_recipients.call_async(
                    token, str(claim.campaign_id), after, self.campaign_page_size))
            except UnknownService:
                replies.append(campaigns.Refused("the customers service is not running"))
        deadline = time.monotonic() + settings.rpc_timeout_seconds
        return [reply if isinstance(reply, campaigns.Refused)
                else _page(reply, deadline, settings.rpc_timeout_seconds)
                for reply in replies]

    @timer(interval=1)
    def send_campaign_messages(self) -> None:
        """Send due campaign SMS; every replica may run it."""
        settings = self.keys.settings
        policy = sender.Policy.from_settings(settings)
        drain(self.db, lambda: campaigns.send_due(self.db, self.keys.vault, policy,
                                                  hours=settings.campaign_sms_hours),
              policy.batch, "sending campaign messages")


def _page(reply, deadline: float, timeout: float) -> rules.RecipientPage | campaigns.Refused:
    try:
        with eventlet.Timeout(max(deadline - time.monotonic(), 0.01)):
            return rules.RecipientPage.model_validate(reply.result())
    except eventlet.Timeout:
        return campaigns.Refused(f"the customers service did not answer in {timeout:g}s")
    except UnknownService:
        return campaigns.Refused("the customers service is not running")
    except RemoteError as exc:
        return campaigns.Refused(f"{exc.exc_type}: {exc.value}"[:500],
                                 permanent=exc.exc_type in rules.PERMANENT_REFUSALS)
    except ValidationError as exc:
        return campaigns.Refused(f"campaign_recipients answered an unexpected page: {exc}"[:500])
