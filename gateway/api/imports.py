"""Lead imports over HTTP: upload an .xlsx/.csv (multipart), follow the job, fetch the report."""

from __future__ import annotations

import base64
import json
from typing import Literal
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import BaseModel, Field
from werkzeug.exceptions import RequestEntityTooLarge

from contracts.errors import ValidationFailed
from gateway.context import call, query_args, token

bp = Blueprint("imports", __name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
FORM_OVERHEAD = 256 * 1024         # the other form fields and the multipart boundaries
SLOW_CALL_SECONDS = 120            # a 20 MB workbook takes a while to check or to report


class FileTooLarge(ValidationFailed):
    code = "file_too_large"
    http_status = 413


# Documentation of the multipart form and the answers (GET /api/openapi.json).
class ImportUpload(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"},
                        description=".xlsx or .csv (UTF-8 or GB18030; , ; or tab), ≤ 20 MB")
    project_id: str = Field(description="the project the leads are for")
    mapping: str | None = Field(None, description='JSON {"column header": "field"}; fields: '
                                'name, phone, channel, sub_source, note, city, district, '
                                'budget, budget_min, budget_max, layout, area, area_min, '
                                'area_max, purpose, or "" to ignore a column')
    channel: str | None = Field(None, description="channel of rows without one (other)")
    assign: str | None = Field(None, description="pool (default), round_robin, or a "
                               "consultant's user id")


class ImportAccepted(BaseModel):
    job_id: str
    status: Literal["queued"]
    columns: dict[str, str]
    ignored_columns: list[str]


class ImportStatus(BaseModel):
    job_id: str
    project_id: str
    filename: str
    status: Literal["queued", "running", "done", "failed"]
    total: int
    processed: int
    created: int
    merged: int
    rejected: int
    error: str | None
    columns: dict[str, str]
    ignored_columns: list[str]


class ReportQuery(BaseModel):
    outcome: Literal["created", "merged", "rejected"] | None = None
    page: int = 1
    page_size: int = Field(200, le=1000)


def _form_value(name: str) -> str | None:
    value = request.form.get(name)
    return value.strip() if value is not None and value.strip() else None


class ImportPreviewColumn(BaseModel):
    index: int
    header: str
    field: str = Field(description='the lead field it is read into, "" = ignored')


class ImportPreview(BaseModel):
    format: Literal["xlsx", "csv"]
    header_row: int
    columns: list[ImportPreviewColumn]
    missing: list[str] = Field(description="required fields (name, phone) no column gives")
    fields: list[str] = Field(description="every field a column may be mapped to")
    rows: list[list[str]] = Field(description="the first rows, one text per column")


def _upload_body() -> dict:
    """The multipart form of an import (or its preview) as the leads service takes it."""
    if request.mimetype != "multipart/form-data":
        raise ValidationFailed("send multipart/form-data with the list as the 'file' field",
                               "file")
    request.max_content_length = MAX_FILE_BYTES + FORM_OVERHEAD
    try:
        upload = request.files.get("file")
        form = request.form
    except RequestEntityTooLarge:
        raise FileTooLarge("the file is larger than 20 MB; split it into several imports",
                           "file") from None
    if upload is None or not upload.filename:
        raise ValidationFailed("attach the .xlsx or .csv as the 'file' field", "file")
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise FileTooLarge("the file is larger than 20 MB; split it into several imports",
                           "file")
    body: dict = {"project_id": _form_value("project_id"), "filename": upload.filename,
                  "content_type": upload.mimetype,
                  "content_b64": base64.b64encode(content).decode()}
    if body["project_id"] is None:
        raise ValidationFailed("project_id is required", "project_id")
    if form.get("mapping"):
        try:
            body["mapping"] = json.loads(form["mapping"])
        except ValueError:
            raise ValidationFailed('mapping must be JSON like {"客户手机": "phone"}',
                                   "mapping") from None
        if not isinstance(body["mapping"], dict):
            raise ValidationFailed('mapping must be a JSON object like {"客户手机": "phone"}',
                                   "mapping")
    for name in ("channel", "assign"):
        if _form_value(name) is not None:
            body[name] = _form_value(name)
    return body


@bp.post("/api/imports/preview")
def preview_import():
    """The recognised mapping and the first rows of a file, before importing it."""
    caller = token()
    return jsonify(call("leads", "preview_import", caller, _upload_body(),
                        timeout=SLOW_CALL_SECONDS))


@bp.post("/api/imports")
def start_import():
    caller = token()
    accepted = call("leads", "start_import", caller, _upload_body(),
                    timeout=SLOW_CALL_SECONDS)
    response = jsonify(accepted)
    response.status_code = 202
    response.headers["Location"] = url_for("imports.import_status", job_id=accepted["job_id"])
    return response


@bp.get("/api/imports/<job_id>")
def import_status(job_id: str):
    return jsonify(call("leads", "import_status", token(), job_id))


@bp.get("/api/imports/<job_id>/report")
def import_report(job_id: str):
    return jsonify(call("leads", "import_report", token(), job_id, query_args()))


@bp.get("/api/imports/<job_id>/report.xlsx")
def import_report_xlsx(job_id: str):
    report = call("leads", "import_report_xlsx", token(), job_id, timeout=SLOW_CALL_SECONDS)
    response = Response(base64.b64decode(report["content_b64"]),
                        mimetype=report["content_type"])
    # RFC 6266: an ASCII name for old clients, the Chinese one (RFC 5987) for the rest.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="import-report-{job_id[:8]}.xlsx"; '
        f"filename*=UTF-8''{quote(report['filename'], safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response
