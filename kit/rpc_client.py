"""A thread-safe, pooled AMQP client for Nameko RPC, for callers that are not Nameko services
(the gateway under gunicorn gthread workers, the CLI, ERP integrations, benchmarks).

Nameko's wire format: the request goes to the `nameko-rpc` topic exchange with routing key
`<service>.<method>`, JSON body {"args", "kwargs"}, a `reply_to` routing key whose queue is
bound to `nameko-rpc`, and a `correlation_id`. The reply is {"result", "error"}."""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic

from contracts import errors

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"


class RemoteError(Exception):
    """An unexpected error inside a service (a bug there, not bad input)."""

    def __init__(self, exc_type: str, value: str):
        super().__init__(f"{exc_type}: {value}")
        self.exc_type = exc_type
        self.value = value


class RpcTimeout(errors.ServiceUnavailable):
    pass


def remote_exception(error: dict[str, Any]) -> Exception:
    """Map a Nameko error reply back to our typed exceptions."""
    path = error.get("exc_path") or ""
    exc_type = error.get("exc_type") or "Exception"
    args = error.get("exc_args") or []
    if path.startswith("contracts.errors.") and exc_type in errors.BY_NAME:
        # Nameko sends each argument it cannot keep as its str(): an absent field or
        # details arrives as "None".
        message, *rest = [None if arg == "None" else arg for arg in args[:3]] or [""]
        return errors.BY_NAME[exc_type](message or "", *rest)
    if exc_type in ("MethodNotFound", "UnknownService"):
        return errors.ServiceUnavailable(f"{exc_type}: {error.get('value')}")
    if exc_type == "IncorrectSignature":
        return errors.ValidationFailed(f"bad call: {error.get('value')}")
    return RemoteError(exc_type, str(error.get("value")))


class _NotSent(Exception):
    """The request never reached the broker (the connection was gone): safe to send again
    on a fresh connection."""


# A pooled connection used within this long is handed out without a check.
FRESH_SECONDS = 1.0

BROKER_LOST = "the message broker connection was lost; please try again"


class _Slot:
    """One connection, channel and exclusive reply queue; used by one thread at a time.

    The channel confirms publishes, so a request either reached the broker (and was routed
    to a service's queue) or the caller knows it did not."""

    def __init__(self, params: pika.URLParameters):
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
        self.reply_to = f"rpc.reply-keyuan-client-{uuid.uuid4().hex}"
        self.channel.queue_declare(self.reply_to, exclusive=True, auto_delete=True)
        self.channel.queue_bind(self.reply_to, RPC_EXCHANGE, routing_key=self.reply_to)
        self.replies: dict[str, dict[str, Any]] = {}
        self.channel.basic_consume(self.reply_to, self._on_reply, auto_ack=True)
        self.channel.confirm_delivery()
        self.used_at = time.monotonic()

    def _on_reply(self, channel: BlockingChannel, method: Basic.Deliver,
                  props: pika.BasicProperties, body: bytes) -> None:
        if props.correlation_id is None:   # no answer to any call of ours
            return
        try:
            self.replies[props.correlation_id] = json.loads(body)
        except ValueError:
            log.error("unreadable RPC reply %r", body[:200])

    def healthy(self) -> bool:
        """Does the broker still hold this connection? Reads what arrived while it sat in the
        pool (a broker's close after missed heartbeats, a reset) and sends a heartbeat when
        one is due; a dead connection answers False instead of failing a call later."""
        try:
            self.connection.process_data_events(time_limit=0)
        except (pika.exceptions.AMQPError, OSError):
            return False
        return self.connection.is_open and self.channel.is_open

    def call(self, routing_key: str, body: bytes, headers: dict[str, Any],
             timeout: float) -> dict[str, Any]:
        correlation_id = uuid.uuid4().hex
        self.replies.clear()
        try:
            self.channel.basic_publish(
                RPC_EXCHANGE, routing_key, body, mandatory=True,
                properties=pika.BasicProperties(
                    reply_to=self.reply_to, correlation_id=correlation_id,
                    content_type="application/json", content_encoding="utf-8",
                    delivery_mode=1, headers=headers),
            )
        except pika.exceptions.UnroutableError:
            raise errors.ServiceUnavailable(
                f"no instance of {routing_key.split('.')[0]} is running") from None
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise _NotSent(str(exc)) from exc
        deadline = time.monotonic() + timeout
        while correlation_id not in self.replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RpcTimeout(f"{routing_key} did not answer within {timeout:g}s")
            self.connection.process_data_events(time_limit=min(remaining, 0.25))
        self.used_at = time.monotonic()
        return self.replies.pop(correlation_id)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()


class RpcClient:
    """Calls from any number of threads over at most `pool_size` connections.

    A pooled connection is checked before each use (a dead one is dropped and a fresh one
    opened), heartbeats keep the broker from closing one that is in use, and a request that
    could not be sent is sent once more on a fresh connection. A lost broker is a
    ServiceUnavailable whose message names no internals (the detail goes to the log)."""

    def __init__(self, amqp_uri: str, pool_size: int = 8, timeout: float = 10.0,
                 heartbeat: int = 60):
        self.params = pika.URLParameters(amqp_uri)
        self.params.heartbeat = heartbeat
        self.params.blocked_connection_timeout = 30
        self.params.client_properties = {"connection_name": "keyuan-rpc-client"}
        self.timeout = timeout
        self.pool_size = pool_size
        self._idle: queue.LifoQueue[_Slot] = queue.LifoQueue()
        self._capacity = threading.BoundedSemaphore(pool_size)

    def _checkout(self) -> _Slot:
        while True:
            try:
                slot = self._idle.get_nowait()
            except queue.Empty:
                break
            # A connection that answered a moment ago is trusted (a send that fails
            # anyway is sent again on a fresh one); one that sat idle is checked first.
            if time.monotonic() - slot.used_at < FRESH_SECONDS or slot.healthy():
                return slot
            slot.close()
        try:
            return _Slot(self.params)
        except (pika.exceptions.AMQPError, OSError) as exc:
            log.warning("message broker unreachable: %r", exc)
            raise errors.ServiceUnavailable(
                "the message broker is not reachable; please try again") from None

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None,
             **kwargs: Any) -> Any:
        body = json.dumps({"args": list(args), "kwargs": kwargs}, default=str).encode()
        headers = {"nameko.call_id_stack": [f"keyuan-client.{method}.{uuid.uuid4().hex}"]}
        routing_key = f"{service}.{method}"
        with self._capacity:
            slot = self._checkout()
            try:
                try:
                    reply = slot.call(routing_key, body, headers, timeout or self.timeout)
                except _NotSent as exc:
                    # The connection died between the check and the publish; the request
                    # never left, so one try on a fresh connection is safe.
                    log.info("RPC %s not sent (%s); sending on a fresh connection",
                             routing_key, exc)
                    slot.close()
                    slot = self._checkout()
                    reply = slot.call(routing_key, body, headers, timeout or self.timeout)
            except (_NotSent, pika.exceptions.AMQPError, OSError) as exc:
                slot.close()
                log.warning("RPC %s: message broker connection lost: %r", routing_key, exc)
                raise errors.ServiceUnavailable(BROKER_LOST) from None
            except BaseException:
                slot.close()
                raise
            self._idle.put(slot)
        if reply.get("error"):
            raise remote_exception(reply["error"])
        return reply.get("result")

    def ping(self) -> bool:
        """Can we reach the broker at all?"""
        with self._capacity:
            try:
                slot = self._checkout()
            except errors.ServiceUnavailable:
                return False
            self._idle.put(slot)
            return True

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
