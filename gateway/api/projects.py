"""A project's lead rules: required fields, grading, assignment, protection, pool."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, json_body, token

bp = Blueprint("projects", __name__)


@bp.get("/api/projects/<project_id>/lead-settings")
def get_settings(project_id: str):
    return jsonify(call("leads", "get_project_settings", token(), project_id))


@bp.put("/api/projects/<project_id>/lead-settings")
def put_settings(project_id: str):
    caller = token()
    return jsonify(call("leads", "update_project_settings", caller, project_id, json_body()))


@bp.get("/api/me/projects")
def my_projects():
    """The projects you work in, with their names (pickers in the web app)."""
    return jsonify(call("leads", "my_projects", token()))
