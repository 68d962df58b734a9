from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, query_args, token

bp = Blueprint("analytics", __name__)


@bp.get("/api/analytics/funnel")
def funnel():
    return jsonify(call("analytics", "funnel", token(), query_args()))
