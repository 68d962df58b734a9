"""The actor's in-app notifications, and the company's notification channels (admin)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.context import call, json_body, optional_json_body, query_args, token

bp = Blueprint("notifications", __name__)


def _secret_safe(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/notifications")
def list_notifications():
    return jsonify(call("tasks", "notifications", token(), query_args()))


@bp.post("/api/notifications/<notification_id>/read")
def read_notification(notification_id: str):
    return jsonify(call("tasks", "read_notification", token(), notification_id))


@bp.post("/api/notifications/read-all")
def read_all_notifications():
    return jsonify(call("tasks", "read_all_notifications", token()))


@bp.post("/api/notifications/test")
def send_test_notice():
    caller = token()
    return jsonify(call("tasks", "send_test_notice", caller, optional_json_body())), 202


@bp.get("/api/notifications/test/<notification_id>")
def test_notice_result(notification_id: str):
    return jsonify(call("tasks", "test_notice_result", token(), notification_id))


@bp.get("/api/notification-settings")
def notification_settings():
    return _secret_safe(jsonify(call("tasks", "notification_settings", token())))


@bp.put("/api/notification-settings")
def configure_notifications():
    caller = token()
    return _secret_safe(jsonify(call("tasks", "configure_notifications", caller,
                                     json_body())))
