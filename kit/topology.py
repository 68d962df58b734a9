"""The broker topology every service's event handlers need, declared before any service runs.

The broker drops an event that no queue is bound to. If `directory` published user.upserted
before `leads` had started and declared its queue, leads would never see those users. So
`keyuan migrate` declares every handler's durable queue and binding up front, exactly as
Nameko's EventHandler will declare it again (same name and flags), and events wait there."""

from __future__ import annotations

from kombu import Connection, Queue
from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.standalone.events import get_event_exchange

from kit.runner import service_class
from kit.settings import SERVICES


def event_subscriptions(service: str) -> list[tuple[str, str, str]]:
    """(source service, event type, queue name) of each of a service's event handlers."""
    cls = service_class(service)
    found = []
    for attr in sorted(dir(cls)):
        for ext in getattr(getattr(cls, attr, None), ENTRYPOINT_EXTENSIONS_ATTR, ()) or ():
            if isinstance(ext, EventHandler):
                queue = f"evt-{ext.source_service}-{ext.event_type}--{service}.{attr}"
                found.append((ext.source_service, ext.event_type, queue))
    return found


def declare(amqp_uri: str, services: tuple[str, ...] = SERVICES) -> list[str]:
    declared = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for service in services:
            for source, event_type, name in event_subscriptions(service):
                Queue(name, exchange=get_event_exchange(source, {}), routing_key=event_type,
                      durable=True, auto_delete=False, exclusive=False)(channel).declare()
                declared.append(name)
    return declared
