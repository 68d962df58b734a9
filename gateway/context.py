"""Per-process gateway resources and per-request helpers."""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app, g, request

from contracts.actor import Actor
from contracts.errors import Unauthenticated, ValidationFailed
from gateway import web_session
from kit import auth
from kit.rpc_client import RpcClient
from kit.settings import Settings


class Gateway:
    """Holds the settings and a lazily built RPC client (built after gunicorn forks)."""

    def __init__(self, settings: Settings, rpc: RpcClient | None = None):
        self.settings = settings
        self._rpc = rpc
        self._lock = threading.Lock()

    @property
    def rpc(self) -> RpcClient:
        if self._rpc is None:
            with self._lock:
                if self._rpc is None:
                    self._rpc = RpcClient(self.settings.amqp_uri,
                                          pool_size=self.settings.rpc_pool_size,
                                          timeout=self.settings.rpc_timeout_seconds)
        return self._rpc


def gateway() -> Gateway:
    return current_app.extensions["keyuan"]


def call(service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    return gateway().rpc.call(service, method, *args, **kwargs)


def bearer() -> tuple[str, Actor]:
    """The caller's token and its claims, or 401 for a token that is not validly signed and
    unexpired (junk never costs a round trip). Nothing more is decided here: whether the
    user exists, is active, holds that role, or logged this token out is for the service the
    route calls (kit.service.Keys.actor, from the directory's current facts), and every
    route calls one."""
    if "actor" not in g:
        g.token, _ = presented_token()
        g.actor = auth.verify(g.token, gateway().settings.secret_key)
    return g.token, g.actor


def presented_token() -> tuple[str, bool]:
    """The token as the request presents it, not yet verified: the bearer header, else the
    web session's cookie (CSRF-checked for writes); and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header and web_session.COOKIE in request.cookies:
        return web_session.token_from_cookie(request, gateway().settings.secret_key), True
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>' (POST /api/auth/login)",
                              "Authorization")
    return token.strip(), False


def token() -> str:
    return bearer()[0]


def json_body() -> dict:
    """The request's JSON object, or a 4xx naming what is wrong with it."""
    if not request.is_json:
        raise ValidationFailed("send a JSON object with Content-Type: application/json", "body")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", "body")
    return data


def optional_json_body() -> dict:
    """Like json_body, but an empty body is an empty object (for optional notes/reasons)."""
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", "body")
    return data


def query_args() -> dict:
    """Query string as a dict (one value per name) for a contracts Query model."""
    return {k: v for k, v in request.args.items()}
