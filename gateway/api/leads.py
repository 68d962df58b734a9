from __future__ import annotations

from flask import Blueprint, jsonify, request

from gateway.context import call, json_body, token

bp = Blueprint("leads", __name__)


@bp.post("/api/leads")
def create_lead():
    caller = token()
    key = request.headers.get("Idempotency-Key")
    accepted = call("leads", "create", caller, json_body(), key)
    return jsonify(accepted), 201 if accepted["status"] == "created" else 200


@bp.post("/api/leads/phone-check")
def check_phone():
    """录入: is this phone a customer already, and whose (staff of the project only)?"""
    caller = token()
    return jsonify(call("leads", "check_phone", caller, json_body()))
