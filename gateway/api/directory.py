"""Directory administration: projects, teams, users, passwords. The directory decides who
may do what (admin_rules); the gateway only maps HTTP to its RPCs."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from gateway.api.web import renewed_session
from gateway.context import call, json_body, presented_token, query_args, token

bp = Blueprint("directory", __name__)


def _created(answer: dict, kind: str):
    """201 with the new record; 200 with the same record for a retry (Idempotency-Key)."""
    return jsonify(answer[kind]), 201 if answer["created"] else 200


def _idempotency_key() -> str | None:
    return request.headers.get("Idempotency-Key")


@bp.get("/api/projects")
def list_projects():
    return jsonify(call("directory", "list_projects", token(), query_args()))


@bp.post("/api/projects")
def create_project():
    caller = token()
    return _created(call("directory", "create_project", caller, json_body(),
                         _idempotency_key()), "project")


@bp.get("/api/projects/<project_id>")
def get_project(project_id: str):
    return jsonify(call("directory", "get_project", token(), project_id))


@bp.patch("/api/projects/<project_id>")
def update_project(project_id: str):
    caller = token()
    return jsonify(call("directory", "update_project", caller, project_id, json_body()))


@bp.get("/api/teams")
def list_teams():
    return jsonify(call("directory", "list_teams", token(), query_args()))


@bp.post("/api/teams")
def create_team():
    caller = token()
    return _created(call("directory", "create_team", caller, json_body(),
                         _idempotency_key()), "team")


@bp.get("/api/teams/<team_id>")
def get_team(team_id: str):
    return jsonify(call("directory", "get_team", token(), team_id))


@bp.patch("/api/teams/<team_id>")
def update_team(team_id: str):
    caller = token()
    return jsonify(call("directory", "update_team", caller, team_id, json_body()))


@bp.get("/api/users")
def list_users():
    return jsonify(call("directory", "list_users", token(), query_args()))


@bp.post("/api/users")
def create_user():
    caller = token()
    return _created(call("directory", "create_user", caller, json_body(),
                         _idempotency_key()), "user")


@bp.get("/api/users/<user_id>")
def get_user(user_id: str):
    return jsonify(call("directory", "get_user", token(), user_id))


@bp.patch("/api/users/<user_id>")
def update_user(user_id: str):
    caller = token()
    return jsonify(call("directory", "update_user", caller, user_id, json_body()))


@bp.post("/api/users/<user_id>/password")
def reset_password(user_id: str):
    caller = token()
    return jsonify(call("directory", "reset_password", caller, user_id, json_body()))


@bp.post("/api/me/password")
def change_password():
    # Not context.token(): that refuses the token a first login gives, which is meant for
    # exactly this call. The directory verifies it (either kind) and answers a new login: a
    # web session gets it as its new cookie (the token never reaches page scripts).
    raw, from_cookie = presented_token()
    result = call("directory", "change_password", raw, json_body())
    return renewed_session(result) if from_cookie else jsonify(result)
