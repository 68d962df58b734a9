"""Notification tables in the tasks schema: each company's channel settings, the in-app inbox
(one row per notice and recipient; the dedupe key makes it idempotent), the deliveries to
external channels that the delivery timer sends, and the customers' campaigns being
delivered (one row per campaign, one per recipient)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, Session, mapped_column

from kit.db import rowcount
from kit.privacy import redact, redact_json
from services.tasks.store import Base, Users

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
# A campaign delivery: pending, delivered (the SMS provider took it; the owner was told),
# failed (after the last try) or not_sent (why in last_error).
DELIVERED, NOT_SENT = "delivered", "not_sent"


class NotificationSettings(Base):
    """A company's channels (secrets sealed, see notify.config) and routes."""

    __tablename__ = "notification_settings"
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    config: Mapped[dict] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Notification(Base):
    """The in-app inbox: one notice to one user."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("company_id", "recipient_id", "dedupe_key",
                         name="uq_notifications_dedupe"),
        Index("ix_notifications_recipient", "recipient_id", "created_at"),
        Index("ix_notifications_unread", "recipient_id",
              postgresql_where=text("read_at IS NULL")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One notice on one external channel; sent (and retried) by the delivery timer."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_deliveries_channel"),
        Index("ix_deliveries_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    notification_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MarketingChoice(Base):
    """A read copy of each customer's latest marketing choice (customer.marketing_changed):
    a customer who opted out after a page of recipients was read gets nothing of it."""

    __tablename__ = "marketing_choices"
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    opted_out: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CampaignRun(Base):
    """A customers campaign (campaign.started) being delivered: the cursor through its
    recipients, the counts reported to the customers service and the report's revision."""

    __tablename__ = "campaigns"
    __table_args__ = (
        # The expansion sweep: campaigns with pages left to read, due now.
        Index("ix_campaigns_expand_due", "expand_at", postgresql_where=text("NOT resolved")),
    )
    campaign_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    started_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    announced: Mapped[int] = mapped_column(Integer)   # the count campaign.started carried
    # The last customer id read (campaign_recipients' `after`); resolved: no page left.
    cursor: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resolved: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    expand_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expand_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    delivered: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    not_sent: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    revision: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CampaignDelivery(Base):
    """One recipient of a campaign. The phone only as the customers service stores it
    (ciphertext, SMS campaigns only), opened at the moment of sending."""

    __tablename__ = "campaign_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_deliveries_customer"),
        Index("ix_campaign_deliveries_due", "next_attempt_at",
              postgresql_where=text("status = 'pending' AND channel = 'sms'")),
        Index("ix_campaign_deliveries_customer", "company_id", "customer_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("campaigns.campaign_id", ondelete="CASCADE"))
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    opt_out_path: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def deliveries_of(session: Session, notification_id) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(
        Delivery.notification_id == notification_id).order_by(Delivery.channel)))


def stored_config(session: Session, company_id) -> dict:
    row = session.get(NotificationSettings, company_id)
    return row.config if row is not None else {}


def user_name(session: Session, user_id) -> str:
    return session.scalar(select(Users.c.name).where(Users.c.id == user_id)) or ""


def inbox_page(session: Session, company_id, user_id, *, unread_only: bool, offset: int,
               limit: int) -> tuple[int, int, list[Notification]]:
    """(total matching, unread of this user, the page) of the user's own notices."""
    mine = select(Notification).where(Notification.company_id == company_id,
                                      Notification.recipient_id == user_id)
    unread = session.execute(select(func.count()).select_from(
        mine.where(Notification.read_at.is_(None)).subquery())).scalar_one()
    if unread_only:
        mine = mine.where(Notification.read_at.is_(None))
    total = unread if unread_only else session.execute(
        select(func.count()).select_from(mine.subquery())).scalar_one()
    rows = list(session.scalars(mine.order_by(Notification.created_at.desc(),
                                              Notification.id.desc())
                                .offset(offset).limit(limit)))
    return total, unread, rows


def own_notice(session: Session, company_id, user_id, notification_id) -> Notification | None:
    return session.scalars(select(Notification).where(
        Notification.id == notification_id, Notification.company_id == company_id,
        Notification.recipient_id == user_id)).first()


def mark_all_read(session: Session, company_id, user_id, at: datetime) -> int:
    return rowcount(session.execute(update(Notification).where(
        Notification.company_id == company_id, Notification.recipient_id == user_id,
        Notification.read_at.is_(None)).values(read_at=at)))


def due_deliveries(session: Session, now: datetime, limit: int) -> list[Delivery]:
    """Due pending deliveries, locked for this transaction; rows another replica holds are
    skipped, so no delivery is sent by two replicas."""
    return list(session.scalars(
        select(Delivery).where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at).limit(limit)
        .with_for_update(skip_locked=True)))


def pending_by_channel(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Delivery.channel, func.count())
                                .where(Delivery.status == PENDING)
                                .group_by(Delivery.channel)).tuples().all())


def redact_names(session: Session, company_id, names: list[str]) -> int:
    """An erased person's names out of the company's notices (titles and bodies) and the
    copies their deliveries carry; returns how many notices changed."""
    names = [n for n in names if n]
    if not names:
        return 0
    changed = 0
    for row in session.scalars(select(Notification).where(
            Notification.company_id == company_id,
            or_(*[column.contains(name, autoescape=True) for name in names
                  for column in (Notification.title, Notification.body)]))):
        title, body = redact(row.title, names), redact(row.body, names)
        changed += (title, body) != (row.title, row.body)
        row.title, row.body = title, body
    payload = Delivery.payload.cast(Text)
    for delivery in session.scalars(select(Delivery).where(
            Delivery.company_id == company_id,
            or_(*[payload.contains(name, autoescape=True) for name in names]))):
        delivery.payload = redact_json(delivery.payload, names)
    return changed
