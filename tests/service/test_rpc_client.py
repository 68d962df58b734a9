"""The gateway's RPC client keeps answering when the broker drops its pooled connections
(a restart, missed heartbeats after the gateway sat idle, a reset under a burst)."""

from urllib.parse import quote, unquote, urlparse

import eventlet
import pytest
import requests
from nameko.rpc import rpc

from contracts.errors import ServiceUnavailable
from kit.rpc_client import RpcClient
from tests.infra import RABBIT_API
from tests.service.conftest import wait_for


class Echo:
    name = "echo"

    @rpc
    def echo(self, value: int) -> int:
        return value


def vhost_of(amqp_uri: str) -> str:
    return unquote(urlparse(amqp_uri).path.lstrip("/"))


def client_connections(vhost: str) -> list[str]:
    """Names (in the management API) of this vhost's connections opened by RpcClient."""
    listed = requests.get(f"{RABBIT_API}/vhosts/{quote(vhost, safe='')}/connections",
                          timeout=10).json()
    return [c["name"] for c in listed
            if c.get("client_properties", {}).get("connection_name") == "keyuan-rpc-client"]


def burst(client: RpcClient, n: int) -> list[int]:
    return list(eventlet.GreenPool(n).imap(lambda i: client.call("echo", "echo", i), range(n)))


def test_a_burst_after_the_broker_closed_every_pooled_connection_still_succeeds(start):
    container = start(Echo)
    vhost = vhost_of(container.config["AMQP_URI"])
    client = RpcClient(container.config["AMQP_URI"], pool_size=6)
    try:
        assert burst(client, 6) == list(range(6))  # the pool now holds its connections
        names = wait_for(lambda: client_connections(vhost))
        for name in names:
            requests.delete(f"{RABBIT_API}/connections/{quote(name, safe='')}",
                            headers={"X-Reason": "test: the broker drops the client"},
                            timeout=10)
        # The management API lists a closed connection for up to half a minute more.
        wait_for(lambda: not client_connections(vhost), timeout=90)
        # Every pooled connection is dead now: calls one after another (each finds dead
        # ones first), then a burst of twice the pool, all answer.
        assert [client.call("echo", "echo", i) for i in range(6)] == list(range(6))
        assert burst(client, 12) == list(range(12))
    finally:
        client.close()


def test_connections_idle_past_their_heartbeat_are_replaced_not_failed(start):
    container = start(Echo)
    vhost = vhost_of(container.config["AMQP_URI"])
    # A five-second heartbeat: the broker closes a pooled connection nobody services within
    # about ten seconds, as it closes the gateway's 60 s ones after a couple of idle minutes
    # (long enough for the management API, which lists connections every 5 s, to see them).
    client = RpcClient(container.config["AMQP_URI"], pool_size=4, heartbeat=5)
    try:
        assert burst(client, 4) == list(range(4))
        wait_for(lambda: client_connections(vhost))
        # The broker gave up on them (listed for up to half a minute after).
        wait_for(lambda: not client_connections(vhost), timeout=90)
        assert [client.call("echo", "echo", i) for i in range(4)] == list(range(4))
        assert burst(client, 8) == list(range(8))
    finally:
        client.close()


def test_an_unreachable_broker_is_unavailable_without_internals_in_the_message():
    client = RpcClient("amqp://guest:guest@127.0.0.1:1/", pool_size=1, timeout=2)
    with pytest.raises(ServiceUnavailable) as refused:
        client.call("echo", "echo", 1)
    message = str(refused.value)
    assert "broker" in message
    for internal in ("Errno", "Error(", "refused", "127.0.0.1", "amqp://"):
        assert internal not in message
