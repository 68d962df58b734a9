"""The gateway's app factory."""

from __future__ import annotations

import logging

from flask import Flask

from gateway import errors, metrics
from gateway.api import (
    analytics,
    auth,
    customers,
    directory,
    handover,
    health,
    imports,
    leads,
    marketing,
    notifications,
    pool,
    privacy,
    projects,
    reception,
    registrations,
    segments,
    tasks,
    web,
    webhooks,
)
from gateway.context import Gateway
from gateway.openapi import bp as openapi_bp
from kit.rpc_client import RpcClient
from kit.settings import Settings, get_settings


def create_app(settings: Settings | None = None, rpc: RpcClient | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Flask types app.json as the JSONProvider base; it is its DefaultJSONProvider
    app.extensions["keyuan"] = Gateway(settings, rpc)
    errors.register(app)
    metrics.register(app)
    for blueprint in (auth.bp, directory.bp, leads.bp, customers.bp, tasks.bp, notifications.bp,
                      analytics.bp, health.bp,
                      imports.bp,
                      pool.bp, projects.bp, reception.bp, registrations.bp, webhooks.bp,
                      segments.bp, marketing.bp, privacy.bp, handover.bp, openapi_bp,
                      web.bp):
        app.register_blueprint(blueprint)
    logging.getLogger(__name__).info("gateway ready")
    return app
