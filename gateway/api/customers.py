from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, optional_json_body, query_args, token

bp = Blueprint("customers", __name__)


@bp.get("/api/customers")
def list_customers():
    return jsonify(call("customers", "list", token(), query_args()))


@bp.get("/api/customers/<customer_id>")
def get_customer(customer_id: str):
    return jsonify(call("customers", "get", token(), customer_id))


@bp.post("/api/customers/<customer_id>/reveal-phone")
def reveal_phone(customer_id: str):
    caller = token()
    reason = optional_json_body().get("reason")
    return jsonify(call("customers", "reveal_phone", caller, customer_id, reason))
