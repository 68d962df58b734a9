from __future__ import annotations

import base64
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from contracts.errors import ValidationFailed
from gateway.context import call, json_body, optional_json_body, query_args, token

bp = Blueprint("customers", __name__)


@bp.get("/api/customers")
def list_customers():
    return jsonify(call("customers", "list", token(), query_args()))


@bp.get("/api/customers/completeness")
def completeness_ranking():
    return jsonify(call("customers", "completeness_ranking", token(), query_args()))


@bp.get("/api/customers/<customer_id>")
def get_customer(customer_id: str):
    return jsonify(call("customers", "get", token(), customer_id))


@bp.get("/api/customers/<customer_id>/viewings")
def viewings(customer_id: str):
    return jsonify(call("customers", "viewings", token(), customer_id))


@bp.post("/api/customers/<customer_id>/phones")
def add_phone(customer_id: str):
    caller = token()
    return jsonify(call("customers", "add_phone", caller, customer_id, json_body()))


@bp.delete("/api/customers/<customer_id>/phones/<phone_id>")
def remove_phone(customer_id: str, phone_id: str):
    return jsonify(call("customers", "remove_phone", token(), customer_id, phone_id))


@bp.post("/api/customers/<customer_id>/reveal-phone")
def reveal_phone(customer_id: str):
    caller = token()
    reason = optional_json_body().get("reason")
    return jsonify(call("customers", "reveal_phone", caller, customer_id, reason))


@bp.post("/api/customers/<customer_id>/stage")
def change_stage(customer_id: str):
    caller = token()
    return jsonify(call("customers", "change_stage", caller, customer_id, json_body()))


@bp.get("/api/customers/<customer_id>/stages")
def stage_history(customer_id: str):
    return jsonify(call("customers", "stage_history", token(), customer_id))


@bp.post("/api/customers/<customer_id>/followups")
def log_followup(customer_id: str):
    caller = token()
    return jsonify(call("customers", "log_followup", caller, customer_id, json_body())), 201


@bp.get("/api/customers/<customer_id>/followups")
def followups(customer_id: str):
    return jsonify(call("customers", "followups", token(), customer_id))


@bp.patch("/api/customers/<customer_id>")
def update_customer(customer_id: str):
    caller = token()
    body = json_body()
    if "version" not in body and request.headers.get("If-Match", "").strip('" W/').isdigit():
        body["version"] = int(request.headers["If-Match"].strip('" W/'))
    return jsonify(call("customers", "update", caller, customer_id, body))


@bp.get("/api/customers/<customer_id>/history")
def history(customer_id: str):
    return jsonify(call("customers", "history", token(), customer_id))


@bp.get("/api/tag-dimensions")
def tag_dimensions():
    return jsonify(call("customers", "tag_dimensions", token()))


@bp.post("/api/tag-dimensions")
def define_tag_dimension():
    caller = token()
    return jsonify(call("customers", "define_tag_dimension", caller, json_body()))


@bp.post("/api/customers/<customer_id>/attachments")
def attach(customer_id: str):
    caller = token()
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("send the file as multipart/form-data field 'file'", "file")
    data = upload.read()
    return jsonify(call("customers", "attach", caller, customer_id, {
        "filename": upload.filename, "content_type": upload.mimetype,
        "content_b64": base64.b64encode(data).decode(),
        "followup_id": request.form.get("followup_id")})), 201


@bp.get("/api/customers/<customer_id>/attachments")
def attachments(customer_id: str):
    return jsonify(call("customers", "attachments", token(), customer_id))


@bp.get("/api/attachments/<attachment_id>")
def download(attachment_id: str):
    found = call("customers", "attachment", token(), attachment_id)
    response = Response(base64.b64decode(found["content_b64"]),
                        mimetype=found["content_type"])
    response.headers["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(found['filename'])}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/api/projects/<project_id>/funnel")
def get_funnel(project_id: str):
    return jsonify(call("customers", "get_funnel", token(), project_id))


@bp.put("/api/projects/<project_id>/funnel")
def put_funnel(project_id: str):
    caller = token()
    return jsonify(call("customers", "update_funnel", caller, project_id, json_body()))


@bp.get("/api/projects/<project_id>/profile-fields")
def get_profile_fields(project_id: str):
    return jsonify(call("customers", "get_profile_fields", token(), project_id))


@bp.put("/api/projects/<project_id>/profile-fields")
def put_profile_fields(project_id: str):
    caller = token()
    return jsonify(call("customers", "update_profile_fields", caller, project_id,
                        json_body()))
