from __future__ import annotations

from flask import Blueprint, jsonify, request

from contracts.errors import ValidationFailed
from gateway.context import call, query_args, token

bp = Blueprint("tasks", __name__)


@bp.get("/api/tasks")
def list_tasks():
    return jsonify(call("tasks", "list", token(), query_args()))


@bp.post("/api/tasks/<task_id>/complete")
def complete_task(task_id: str):
    caller = token()
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", "body")
    return jsonify(call("tasks", "complete", caller, task_id, body))
