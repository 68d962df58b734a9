"""Segments (saved filters over the customer base) and campaigns sent to them."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from contracts.errors import ValidationFailed
from gateway.context import call, json_body, query_args, token

bp = Blueprint("segments", __name__)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", name) from None


@bp.post("/api/segments")
def save_segment():
    caller = token()
    return jsonify(call("customers", "save_segment", caller, json_body())), 201


@bp.get("/api/segments")
def list_segments():
    return jsonify(call("customers", "list_segments", token()))


@bp.post("/api/segments/count")
def count_filter():
    """Count an unsaved filter (the body) in your scope: try a segment before saving it."""
    caller = token()
    return jsonify(call("customers", "segment_count", caller, json_body()))


@bp.get("/api/segments/<segment_id>/count")
def count_segment(segment_id: str):
    return jsonify(call("customers", "segment_count", token(), segment_id))


@bp.get("/api/segments/<segment_id>/customers")
def segment_customers(segment_id: str):
    caller = token()
    extra = set(query_args()) - {"page", "page_size"}
    if extra:
        name = sorted(extra)[0]
        raise ValidationFailed(f"unknown query parameter {name!r}", name)
    return jsonify(call("customers", "segment_customers", caller, segment_id,
                        _int_arg("page", 1), _int_arg("page_size", 20)))


@bp.post("/api/campaigns")
def start_campaign():
    caller = token()
    return jsonify(call("customers", "start_campaign", caller, json_body(),
                        request.headers.get("Idempotency-Key"))), 201


@bp.get("/api/campaigns")
def campaigns():
    return jsonify(call("customers", "campaigns", token()))


@bp.get("/api/campaigns/<campaign_id>/recipients")
def campaign_recipients(campaign_id: str):
    caller = token()
    return jsonify(call("customers", "campaign_recipients", caller, campaign_id,
                        request.args.get("after"), _int_arg("limit", 500)))
