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


def remote_exception(error: dict) -> Exception:
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


class _StaleConnection(Exception):
    """Publishing failed, so the request never left: safe to try again on a fresh slot."""


class _Slot:
    """One connection, channel and exclusive reply queue; used by one thread at a time."""

    def __init__(self, params: pika.URLParameters):
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
        self.reply_to = f"rpc.reply-keyuan-client-{uuid.uuid4().hex}"
        self.channel.queue_declare(self.reply_to, exclusive=True, auto_delete=True)
        self.channel.queue_bind(self.reply_to, RPC_EXCHANGE, routing_key=self.reply_to)
        self.replies: dict[str, dict] = {}
        self.returned: set[str] = set()
        self.channel.basic_consume(self.reply_to, self._on_reply, auto_ack=True)
        self.channel.add_on_return_callback(self._on_return)

    def _on_reply(self, channel, method, props, body) -> None:
        try:
            self.replies[props.correlation_id] = json.loads(body)
        except ValueError:
            log.error("unreadable RPC reply %r", body[:200])

    def _on_return(self, channel, method, props, body) -> None:
        self.returned.add(props.correlation_id)

    def call(self, routing_key: str, body: bytes, headers: dict, timeout: float) -> dict:
        correlation_id = uuid.uuid4().hex
        self.replies.clear()
        self.returned.clear()
        try:
            self.channel.basic_publish(
                RPC_EXCHANGE, routing_key, body, mandatory=True,
                properties=pika.BasicProperties(
                    reply_to=self.reply_to, correlation_id=correlation_id,
                    content_type="application/json", content_encoding="utf-8",
                    delivery_mode=1, headers=headers),
            )
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise _StaleConnection(str(exc)) from exc
        deadline = time.monotonic() + timeout
        while correlation_id not in self.replies:
            if correlation_id in self.returned:
                raise errors.ServiceUnavailable(
                    f"no instance of {routing_key.split('.')[0]} is running")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RpcTimeout(f"{routing_key} did not answer within {timeout:g}s")
            self.connection.process_data_events(time_limit=min(remaining, 0.25))
        return self.replies.pop(correlation_id)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()


class RpcClient:
    def __init__(self, amqp_uri: str, pool_size: int = 8, timeout: float = 10.0):
        self.params = pika.URLParameters(amqp_uri)
        self.params.heartbeat = 60
        self.params.blocked_connection_timeout = 30
        self.timeout = timeout
        self.pool_size = pool_size
        self._idle: queue.LifoQueue[_Slot] = queue.LifoQueue()
        self._capacity = threading.BoundedSemaphore(pool_size)

    def _checkout(self) -> _Slot:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            try:
                return _Slot(self.params)
            except pika.exceptions.AMQPError as exc:
                raise errors.ServiceUnavailable(f"message broker unreachable: {exc!r}") from None

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None,
             **kwargs: Any) -> Any:
        body = json.dumps({"args": list(args), "kwargs": kwargs}, default=str).encode()
        headers = {"nameko.call_id_stack": [f"keyuan-client.{method}.{uuid.uuid4().hex}"]}
        with self._capacity:
            slot = self._checkout()
            try:
                try:
                    reply = slot.call(f"{service}.{method}", body, headers,
                                      timeout or self.timeout)
                except _StaleConnection:
                    # A pooled connection went stale (broker restart); the request never
                    # left, so one fresh try is safe.
                    slot.close()
                    slot = self._checkout()
                    reply = slot.call(f"{service}.{method}", body, headers,
                                      timeout or self.timeout)
            except (_StaleConnection, pika.exceptions.AMQPError, OSError) as exc:
                slot.close()
                raise errors.ServiceUnavailable(f"message broker connection lost: {exc}") from None
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
            slot = self._checkout()
            ok = slot.connection.is_open
            self._idle.put(slot)
            return ok

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
