"""Walk-in rotation (轮岗接待) at a project's sales office."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, json_body, optional_json_body, token

bp = Blueprint("reception", __name__)


@bp.get("/api/projects/<project_id>/reception")
def queue(project_id: str):
    return jsonify(call("leads", "reception_queue", token(), project_id))


@bp.post("/api/projects/<project_id>/reception/join")
def join(project_id: str):
    caller = token()
    return jsonify(call("leads", "reception_join", caller, project_id,
                        optional_json_body().get("user_id")))


@bp.post("/api/projects/<project_id>/reception/leave")
def leave(project_id: str):
    caller = token()
    return jsonify(call("leads", "reception_leave", caller, project_id,
                        optional_json_body().get("user_id")))


@bp.post("/api/projects/<project_id>/reception/next")
def next_up(project_id: str):
    return jsonify(call("leads", "reception_next", token(), project_id))


@bp.post("/api/projects/<project_id>/reception/skip")
def skip(project_id: str):
    caller = token()
    body = json_body()
    return jsonify(call("leads", "reception_skip", caller, project_id, body.get("user_id")))


@bp.post("/api/projects/<project_id>/reception/pause")
def pause(project_id: str):
    caller = token()
    body = json_body()
    return jsonify(call("leads", "reception_pause", caller, project_id, body.get("user_id"),
                        {k: v for k, v in body.items() if k != "user_id"}))
