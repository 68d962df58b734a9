"""Channel webhooks: platforms post signed leads (no bearer token; the leads service checks
the channel's signature), and admins configure channels and their secrets."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from contracts.errors import ValidationFailed
from gateway.context import call, json_body, token

bp = Blueprint("webhooks", __name__)


@bp.post("/api/webhooks/leads/<channel>")
def channel_lead(channel: str):
    # The signature covers the exact bytes; Flask refuses more than MAX_CONTENT_LENGTH (413).
    raw = request.get_data(cache=False)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the body must be UTF-8 encoded JSON", "body") from None
    headers = request.headers
    accepted = call("leads", "intake_webhook", channel, headers.get("X-Keyuan-Key"),
                    headers.get("X-Keyuan-Timestamp"), headers.get("X-Keyuan-Signature"), body)
    return jsonify(accepted), 201 if accepted["status"] == "created" else 200


def _secret_safe(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/channels")
def configure_channel():
    caller = token()
    channel = call("leads", "configure_channel", caller, json_body())
    return _secret_safe(jsonify(channel)), 201 if "secret" in channel else 200


@bp.post("/api/channels/<code>/rotate-secret")
def rotate_channel_secret(code: str):
    return _secret_safe(jsonify(call("leads", "rotate_channel_secret", token(), code)))


@bp.get("/api/channels")
def list_channels():
    return jsonify(call("leads", "list_channels", token()))
