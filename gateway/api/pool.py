"""The public pool (公海) and releasing a customer into it."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, json_body, query_args, token

bp = Blueprint("pool", __name__)


@bp.get("/api/pool")
def list_pool():
    return jsonify(call("leads", "pool", token(), query_args()))


@bp.post("/api/pool/<customer_id>/claim")
def claim(customer_id: str):
    return jsonify(call("leads", "claim", token(), customer_id))


@bp.post("/api/pool/<customer_id>/assign")
def assign(customer_id: str):
    caller = token()
    return jsonify(call("leads", "assign_from_pool", caller, customer_id, json_body()))


@bp.post("/api/customers/<customer_id>/release")
def release(customer_id: str):
    caller = token()
    return jsonify(call("leads", "release", caller, customer_id, json_body()))


@bp.get("/api/offers")
def list_offers():
    return jsonify(call("leads", "offers", token()))


@bp.post("/api/offers/<offer_id>/grab")
def grab(offer_id: str):
    return jsonify(call("leads", "grab", token(), offer_id))
