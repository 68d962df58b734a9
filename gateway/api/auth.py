from __future__ import annotations

from flask import Blueprint, Response, jsonify

from gateway.context import call, json_body, token

bp = Blueprint("auth", __name__)


@bp.post("/api/auth/login")
def login():
    return jsonify(call("directory", "login", json_body()))


@bp.post("/api/auth/logout")
def logout():
    """End this token everywhere (the directory publishes token.revoked); again is fine."""
    call("directory", "logout", token())
    return Response(status=204)


@bp.get("/api/me")
def me():
    return jsonify(call("directory", "me", token()))


@bp.post("/api/users/<user_id>/duty")
def set_duty(user_id: str):
    return jsonify(call("directory", "set_duty", token(), user_id, json_body()))
