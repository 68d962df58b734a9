"""Every error is JSON: {"error": {"code", "message", "field"}} with a fitting status."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from contracts.errors import KeyuanError
from kit.rpc_client import RemoteError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, field: str | None = None,
                   details: dict | None = None):
    error: dict[str, Any] = {"code": code, "message": message, "field": field}
    if details:
        error["details"] = details
    response = jsonify({"error": error})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(KeyuanError)
    def keyuan_error(exc: KeyuanError):
        return error_response(exc.http_status, exc.code, exc.message, exc.field, exc.details)

    @app.errorhandler(RemoteError)
    def remote_error(exc: RemoteError):
        log.error("service error: %s", exc)
        return error_response(502, "upstream_error",
                              "a service failed to answer; the request was not completed")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        field = "body" if exc.code == 413 else None
        name = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 400, name, exc.description or exc.name, field)
