"""Delivering a customers campaign, the rules without I/O: how the customers service's
recipient pages are read, each recipient's first status, the SMS a customer gets, the
notice a consultant gets for the customers a wechat or in_app campaign hands to them, and
the progress report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated

from pydantic import BaseModel, BeforeValidator

from contracts.customers import CampaignChannel
from contracts.errors import Forbidden, NotFound, ValidationFailed
from contracts.tasks import CampaignProgress
from kit import auth, clock
from services.tasks.notify.domain import absolute_link
from services.tasks.notify.store import DELIVERED, FAILED, NOT_SENT, PENDING


def notifier_id(company_id: uuid.UUID) -> uuid.UUID:
    """Who the tasks service's notifier is when it calls the customers service with an
    integration token it mints itself: the company's `system` integration user, which the
    directory makes with the company (the customers service authorises it from its copy of
    the directory's facts like anyone else), recognisable in any log or audit."""
    return auth.system_user_id(company_id)


SMS = CampaignChannel.sms.value
# We hold no customer's WeCom id and customers have no in-app inbox: these channels are
# handed to the customers' own consultants, one notice each.
FORWARDED = (CampaignChannel.wechat.value, CampaignChannel.in_app.value)
POOL_CUSTOMER = "公海客户无归属顾问"
OWNER_INACTIVE = "归属顾问已停用 the owning consultant is no longer active"
OPTED_OUT = "客户已退订 the customer opted out"
NO_PHONE = "no phone for the customer"
NAMES_SHOWN = 20
# A campaign_recipients refusal that no retry changes (the campaign is not there for us).
PERMANENT_REFUSALS = frozenset(cls.__name__ for cls in (NotFound, Forbidden, ValidationFailed))


def _cut(limit: int):
    return BeforeValidator(lambda v: v[:limit] if isinstance(v, str) else v)


class Recipient(BaseModel):
    """One item of customers.campaign_recipients as an integration caller gets it."""

    customer_id: uuid.UUID
    name: Annotated[str, _cut(200)] = ""
    owner_id: uuid.UUID | None = None
    phone_enc: str | None = None
    opt_out_path: Annotated[str | None, _cut(300)] = None


class RecipientPage(BaseModel):
    items: list[Recipient]
    next_after: uuid.UUID | None = None


def first_status(channel: str, recipient: Recipient) -> tuple[str, str | None]:
    """(status, why not sent) of a recipient as it is recorded."""
    if channel == SMS and not recipient.phone_enc:
        return NOT_SENT, NO_PHONE
    if channel in FORWARDED and recipient.owner_id is None:
        return NOT_SENT, POOL_CUSTOMER
    return PENDING, None


def sms_params(message: str, opt_out_path: str | None, link_base: str) -> dict:
    """The provider template's parameters: the message and the one-click opt-out link
    (PIPL Art. 24) under the suite's public address."""
    return {"message": message, "opt_out_link": absolute_link(opt_out_path, link_base) or ""}


@dataclass(frozen=True)
class ForwardNotice:
    title: str
    body: str
    link: str


def forward_notice(campaign_id, channel: str, message: str, customers: int,
                   names: list[str]) -> ForwardNotice:
    """What the owner of `customers` recipients is asked to send them (names: the first
    ones, at most NAMES_SHOWN are shown)."""
    way = "企业微信" if channel == CampaignChannel.wechat.value else "App 消息"
    shown = "、".join(names[:NAMES_SHOWN])
    more = "等" if customers > min(len(names), NAMES_SHOWN) else ""
    return ForwardNotice(
        title=f"营销活动：请向您的 {customers} 位客户发送",
        body=f"请通过{way}向以下客户发送：{message}\n客户：{shown}{more}（共 {customers} 位）",
        link=f"/campaigns/{campaign_id}")


@dataclass(frozen=True)
class Counts:
    recipients: int = 0
    delivered: int = 0
    failed: int = 0
    not_sent: int = 0

    @property
    def pending(self) -> int:
        return self.recipients - self.delivered - self.failed - self.not_sent

    def plus(self, statuses: dict[str, int], new_recipients: int = 0) -> Counts:
        """After `new_recipients` were recorded and `statuses` (status → how many) were
        reached (pending is what is neither delivered, failed nor not sent)."""
        return Counts(self.recipients + new_recipients,
                      self.delivered + statuses.get(DELIVERED, 0),
                      self.failed + statuses.get(FAILED, 0),
                      self.not_sent + statuses.get(NOT_SENT, 0))


def progress(campaign_id, company_id, counts: Counts, resolved: bool, revision: int,
             at: datetime) -> CampaignProgress:
    return CampaignProgress(
        campaign_id=campaign_id, company_id=company_id, recipients=counts.recipients,
        delivered=counts.delivered, failed=counts.failed, not_sent=counts.not_sent,
        pending=counts.pending, resolved=resolved, finished=resolved and counts.pending == 0,
        revision=revision, at=at)


def within_hours(moment: datetime, hours: str) -> bool:
    """Is `moment` inside "HH:MM-HH:MM" (Asia/Shanghai, the end excluded; a window may run
    past midnight, e.g. 20:00-02:00; equal ends, e.g. 00:00-00:00, mean all day)?"""
    opens, closes = (time.fromisoformat(part) for part in hours.split("-"))
    local = clock.to_local(moment).time()
    if opens == closes:
        return True
    if opens < closes:
        return opens <= local < closes
    return local >= opens or local < closes
