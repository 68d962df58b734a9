"""Has the suite caught up? No event waits in any outbox, in any consumer's queue, or in a
consumer's hands (taken from its queue, not yet applied and acknowledged: a queue's count
leaves those out, and a consumer that batches holds some while its batch runs).

`keyuan up` waits for this before it says it is ready, so the read copies (who is on duty,
which projects exist) are in place when the first lead arrives."""

from __future__ import annotations

import time
import urllib.request

import pika
import pika.exceptions
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from kit.db import make_engine
from kit.settings import SERVICES, Settings
from kit.topology import event_subscriptions


def subscribed_types(producer: str) -> list[str]:
    return sorted({event_type for service in SERVICES
                   for source, event_type, _ in event_subscriptions(service)
                   if source == producer})


def pending_outbox(settings: Settings) -> int:
    """Unsent events some service subscribes to (others are closed by the relay later)."""
    total = 0
    for service in SERVICES:
        engine = make_engine(settings.database_url_for(service), pool_size=1)
        with engine.connect() as conn:
            total += conn.execute(text(
                f'SELECT count(*) FROM "{service}".outbox '
                "WHERE sent_at IS NULL AND event_type = ANY(:types)"),
                {"types": subscribed_types(service)}).scalar_one()
        engine.dispose()
    return total


def queued_events(settings: Settings) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    total = 0
    try:
        for service in SERVICES:
            for _, _, queue in event_subscriptions(service):
                channel = connection.channel()
                try:
                    total += channel.queue_declare(queue, passive=True).method.message_count
                    channel.close()
                except pika.exceptions.ChannelClosedByBroker:
                    total += 1  # not declared yet: its consumer has not started
    finally:
        connection.close()
    return total


def events_in_hand(settings: Settings) -> int:
    """Events the suite's local service processes hold (their keyuan_inbox_in_hand gauges,
    from each one's /metrics); a process that does not answer counts none."""
    total = 0
    for service in SERVICES:
        url = f"http://{settings.metrics_host}:{settings.metrics_port_for(service)}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                body = answer.read().decode()
        except OSError:
            continue
        total += sum(int(sample.value) for family in text_string_to_metric_families(body)
                     if family.name == "keyuan_inbox_in_hand" for sample in family.samples)
    return total


def settled(settings: Settings) -> bool:
    return (pending_outbox(settings) == 0 and queued_events(settings) == 0
            and events_in_hand(settings) == 0)


def wait_settled(settings: Settings, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        calm = calm + 1 if settled(settings) else 0
        if calm >= 2:
            return True
        time.sleep(0.25)
    return False
