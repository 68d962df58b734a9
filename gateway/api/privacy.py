"""Privacy (PIPL): consents, the audited export, data-subject requests, merges."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, gateway, json_body, query_args, token

bp = Blueprint("privacy", __name__)


@bp.post("/api/customers/<customer_id>/consents")
def record_consent(customer_id: str):
    caller = token()
    return jsonify(call("customers", "record_consent", caller, customer_id, json_body())), 201


@bp.get("/api/customers/<customer_id>/consents")
def consents(customer_id: str):
    return jsonify(call("customers", "consents", token(), customer_id))


@bp.post("/api/customers/export")
def export_customers():
    caller = token()
    return jsonify(call("customers", "export_customers", caller, json_body()))


@bp.post("/api/customers/merges")
def merge():
    caller = token()
    merged = call("customers", "merge", caller, json_body())
    return jsonify(merged), 201 if merged.get("created") else 200


@bp.get("/api/customers/<customer_id>/merges")
def merges(customer_id: str):
    return jsonify(call("customers", "merges", token(), customer_id))


@bp.post("/api/privacy/requests")
def subject_request():
    """Export: every service's part, so allow it longer than one call. Erase: the customers
    service has erased its part when this answers; the others follow by event (202)."""
    caller = token()
    body = json_body()
    answer = call("customers", "subject_request", caller, body,
                  timeout=3 * gateway().settings.rpc_timeout_seconds)
    return jsonify(answer), 202 if answer.get("kind") == "erase" else 200


@bp.get("/api/privacy/requests")
def subject_requests():
    return jsonify(call("customers", "subject_requests", token(), query_args()))


@bp.get("/api/privacy/audit")
def privacy_audit():
    return jsonify(call("customers", "privacy_audit", token(), query_args()))
