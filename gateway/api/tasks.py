from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, json_body, optional_json_body, query_args, token

bp = Blueprint("tasks", __name__)


@bp.get("/api/tasks")
def list_tasks():
    return jsonify(call("tasks", "list", token(), query_args()))


@bp.get("/api/tasks/behind")
def tasks_behind():
    return jsonify(call("tasks", "behind", token()))


@bp.post("/api/tasks/<task_id>/complete")
def complete_task(task_id: str):
    caller = token()
    return jsonify(call("tasks", "complete", caller, task_id, optional_json_body()))


@bp.get("/api/projects/<project_id>/sop")
def get_sop(project_id: str):
    return jsonify(call("tasks", "get_sop", token(), project_id))


@bp.put("/api/projects/<project_id>/sop")
def put_sop(project_id: str):
    caller = token()
    return jsonify(call("tasks", "update_sop", caller, project_id, json_body()))
