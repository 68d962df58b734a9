"""Logout ends the token everywhere within seconds: the gateway answers 401, and so does any
service called directly on the bus with it."""

from __future__ import annotations

import pytest
import requests

from contracts.errors import Unauthenticated
from kit.rpc_client import RpcClient
from tests.waiting import eventually

pytestmark = pytest.mark.e2e


def login(suite, username: str) -> str:
    answer = requests.post(f"{suite.url}/api/auth/login", timeout=10,
                           json={"username": username, "password": "Keyuan@2026"})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def get(suite, path: str, token: str):
    return requests.get(f"{suite.url}{path}", timeout=15,
                        headers={"Authorization": f"Bearer {token}"})


def logout(suite, token: str):
    return requests.post(f"{suite.url}/api/auth/logout", timeout=15,
                         headers={"Authorization": f"Bearer {token}"})


def test_a_logged_out_token_gets_401_from_the_gateway_and_from_every_service(suite, infra):
    token, other = login(suite, "hz.li"), login(suite, "hz.li")
    assert get(suite, "/api/customers", token).status_code == 200
    assert logout(suite, token).status_code == 204
    assert logout(suite, token).status_code == 204   # again: harmless

    # The directory refuses at once; the other services as soon as token.revoked arrived.
    for path in ("/api/me", "/api/customers", "/api/tasks", "/api/pool"):
        refused = eventually(lambda p=path: (r := get(suite, p, token)).status_code == 401
                             and r.json(), timeout=15)
        assert refused["error"]["code"] == "unauthenticated", path
    rpc = RpcClient(infra.amqp_uri, pool_size=1)
    try:
        for service in ("customers", "tasks"):
            with pytest.raises(Unauthenticated, match="logged out"):
                rpc.call(service, "list", token)
        assert rpc.call("customers", "list", other)["total"] >= 0  # the other session lives
    finally:
        rpc.close()
    assert get(suite, "/api/me", other).status_code == 200


def test_junk_is_refused_by_the_gateway_itself(suite):
    assert logout(suite, "not-a-token").status_code == 401
    assert get(suite, "/api/customers", "a.b.c").status_code == 401
