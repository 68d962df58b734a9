"""报备 by channel agents, and the 判客 record of a customer."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, json_body, token

bp = Blueprint("registrations", __name__)


@bp.post("/api/registrations")
def register():
    caller = token()
    return jsonify(call("leads", "register", caller, json_body())), 201


@bp.get("/api/registrations")
def my_registrations():
    return jsonify(call("leads", "my_registrations", token()))


@bp.get("/api/customers/<customer_id>/rulings")
def rulings(customer_id: str):
    return jsonify(call("leads", "rulings", token(), customer_id))


@bp.get("/api/customers/<customer_id>/arrivals")
def arrivals(customer_id: str):
    return jsonify(call("leads", "arrivals", token(), customer_id))
