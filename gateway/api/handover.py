"""Handing customers over: a departure (离职交接) and a bulk reassignment (批量转移)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from gateway.context import call, json_body, token

bp = Blueprint("handover", __name__)


@bp.post("/api/users/<user_id>/offboard")
def offboard(user_id: str):
    caller = token()
    return jsonify(call("directory", "offboard", caller, user_id, json_body())), 202


@bp.get("/api/users/<user_id>/offboard")
def offboarding(user_id: str):
    return jsonify(call("directory", "offboarding", token(), user_id))


@bp.post("/api/customers/reassign")
def reassign():
    caller = token()
    key = request.headers.get("Idempotency-Key")
    return jsonify(call("leads", "reassign", caller, json_body(), key)), 202


@bp.get("/api/reassignments/<reassignment_id>")
def reassignment(reassignment_id: str):
    return jsonify(call("leads", "reassignment", token(), reassignment_id))
