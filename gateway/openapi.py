"""GET /api/openapi.json, built from the contracts models, and a readable /api/docs."""

from __future__ import annotations

import html

from flask import Blueprint, jsonify
from pydantic import BaseModel

from contracts import (
    analytics,
    common,
    customers,
    directory,
    directory_admin,
    handover,
    leads,
    tasks,
)
from gateway.api import imports as import_api

bp = Blueprint("openapi", __name__)

# (method, path, summary, request body model, query model, response model)
ROUTES: list[tuple[str, str, str, type[BaseModel] | None, type[BaseModel] | None,
                   type[BaseModel] | None]] = [
    ("post", "/api/auth/login", "登录 Log in; answers a bearer token", directory.Credentials,
     None, directory.LoginResult),
    ("post", "/api/auth/logout", "退出登录 Log out: this token ends everywhere (204)", None,
     None, None),
    ("get", "/api/me", "The signed-in user", None, None, directory.UserFact),
    ("post", "/api/web/session", "网页登录 Sign in to the web app: an httpOnly session cookie "
     "and the CSRF token its writes send as X-CSRF-Token (the token itself is never "
     "answered)", directory.Credentials, None, None),
    ("get", "/api/web/session", "网页会话 The signed-in user and the session's CSRF token",
     None, None, None),
    ("delete", "/api/web/session", "退出登录 Sign out: the session ends (its cookie gets 401)",
     None, None, None),
    ("get", "/api/me/projects", "我的项目 The projects you work in, with their names", None,
     None, None),
    ("post", "/api/users/{user_id}/duty", "Set duty status (on duty receives leads)",
     directory.DutyChange, None, directory.UserFact),
    ("post", "/api/me/password", "修改密码 Change your password (the old one needed; the token "
     "a first login gives is accepted here only); answers a fresh login",
     directory_admin.PasswordChange, None, directory.LoginResult),
    ("get", "/api/projects", "项目 Projects (admin all; directors and managers their own)", None,
     directory_admin.ProjectQuery, None),
    ("post", "/api/projects", "新建项目 Create a project (admin; Idempotency-Key honoured)",
     directory_admin.NewProject, None, directory_admin.ProjectView),
    ("get", "/api/projects/{project_id}", "项目详情 One project", None, None,
     directory_admin.ProjectView),
    ("patch", "/api/projects/{project_id}", "修改项目 Change name, city, districts, active "
     "(admin)", directory_admin.ProjectPatch, None, directory_admin.ProjectView),
    ("get", "/api/teams", "团队 Teams (admin all; director their projects'; manager their own)",
     None, directory_admin.TeamQuery, None),
    ("post", "/api/teams", "新建团队 Create a team (admin, director; Idempotency-Key honoured)",
     directory_admin.NewTeam, None, directory_admin.TeamView),
    ("get", "/api/teams/{team_id}", "团队详情 One team", None, None, directory_admin.TeamView),
    ("patch", "/api/teams/{team_id}", "修改团队 Change name, project, manager, active",
     directory_admin.TeamPatch, None, directory_admin.TeamView),
    ("get", "/api/users", "员工 Users (admin all; director their projects' people; manager "
     "their team)", None, directory_admin.UserQuery, None),
    ("post", "/api/users", "新建员工 Create a user with an initial password (admin, director; "
     "Idempotency-Key honoured)", directory_admin.NewUser, None, directory_admin.UserView),
    ("get", "/api/users/{user_id}", "员工详情 One user", None, None, directory_admin.UserView),
    ("patch", "/api/users/{user_id}", "修改员工 Change name, username, role, team, projects, "
     "scopes; active (admin)", directory_admin.UserPatch, None, directory_admin.UserView),
    ("post", "/api/users/{user_id}/password", "重置密码 Set a new initial password: it must be "
     "changed at the next login", directory_admin.PasswordReset, None,
     directory_admin.PasswordResetDone),
    ("post", "/api/leads", "新增线索 Enter a lead (Idempotency-Key honoured)", leads.NewLead,
     None, leads.LeadAccepted),
    ("post", "/api/leads/phone-check", "查重 Is this phone a customer already, and whose? "
     "(staff of the project; at most 30 checks in 10 minutes per user, then 429)",
     leads.PhoneCheck, None, leads.PhoneCheckResult),
    ("get", "/api/customers", "客户列表 Customers in your scope", None,
     customers.CustomerQuery, None),
    ("get", "/api/customers/{customer_id}", "客户详情 One customer", None, None,
     customers.CustomerView),
    ("post", "/api/customers/{customer_id}/reveal-phone", "查看号码 Reveal the phone (audited)",
     None, None, None),
    ("patch", "/api/customers/{customer_id}", "编辑客户 Edit the profile (version or If-Match)",
     customers.CustomerPatch, None, customers.CustomerView),
    ("post", "/api/customers/{customer_id}/phones", "加电话 Another number of the person",
     customers.NewPhone, None, customers.CustomerView),
    ("delete", "/api/customers/{customer_id}/phones/{phone_id}", "删电话 Remove one", None,
     None, customers.CustomerView),
    ("get", "/api/customers/{customer_id}/history", "修改记录 Profile history", None, None,
     None),
    ("get", "/api/tag-dimensions", "标签维度 Tag dimensions", None, None, None),
    ("post", "/api/tag-dimensions", "定义标签维度 Define one (admin)", customers.TagDimension,
     None, customers.TagDimension),
    ("post", "/api/customers/{customer_id}/attachments",
     "上传附件 Attach a JPEG/PNG/WebP/PDF (multipart 'file', optional 'followup_id')", None,
     None, None),
    ("get", "/api/customers/{customer_id}/attachments", "附件 A customer's attachments", None,
     None, None),
    ("get", "/api/attachments/{attachment_id}", "下载附件 Download one", None, None, None),
    ("get", "/api/projects/{project_id}/funnel", "项目漏斗 A project's funnel stages", None,
     None, None),
    ("put", "/api/projects/{project_id}/funnel",
     "修改漏斗 Change its stages and names (director/admin)", customers.FunnelConfig, None,
     None),
    ("get", "/api/projects/{project_id}/profile-fields",
     "资料字段 Required and optional profile fields (completeness)", None, None, None),
    ("put", "/api/projects/{project_id}/profile-fields", "修改资料字段 Change them "
     "(director/admin)", customers.ProfileFields, None, None),
    ("get", "/api/customers/completeness", "完善率排名 Consultants by profile completeness",
     None, customers.CompletenessQuery, None),
    ("post", "/api/customers/{customer_id}/stage", "推进阶段 Move along the funnel",
     customers.StageMove, None, customers.CustomerView),
    ("get", "/api/customers/{customer_id}/stages", "阶段记录 Stage history", None, None, None),
    ("post", "/api/customers/{customer_id}/followups", "写跟进 Log a follow-up",
     customers.NewFollowup, None, None),
    ("get", "/api/customers/{customer_id}/followups", "跟进记录 Follow-ups", None, None, None),
    ("get", "/api/customers/{customer_id}/viewings",
     "看房轨迹 Viewings and the units shown, how often", None, None, None),
    ("get", "/api/tasks", "任务 Your tasks (filters: status, customer, owner, overdue)", None,
     tasks.TaskQuery, None),
    ("get", "/api/tasks/behind", "谁落后了 Open and overdue tasks per owner in your sight, "
     "most overdue first", None, None, None),
    ("get", "/api/projects/{project_id}/sop", "项目SOP The tasks each stage creates", None,
     None, tasks.SopTemplate),
    ("put", "/api/projects/{project_id}/sop", "修改SOP Replace it (director/admin)",
     tasks.SopTemplate, None, tasks.SopTemplate),
    ("post", "/api/tasks/{task_id}/complete", "完成任务 Complete a task",
     tasks.TaskCompletion, None, tasks.TaskView),
    ("get", "/api/notifications", "通知 Your notifications, newest first, with the unread "
     "count", None, tasks.NotificationQuery, None),
    ("post", "/api/notifications/{notification_id}/read", "标为已读 Mark one read", None, None,
     tasks.NotificationView),
    ("post", "/api/notifications/read-all", "全部已读 Mark all yours read", None, None, None),
    ("post", "/api/notifications/test", "测试通知 Send yourself a notice of a kind over its "
     "route, or over one `channel` only (admin)", tasks.TestNotice, None, None),
    ("get", "/api/notifications/test/{notification_id}", "测试结果 How a test notice fared on "
     "each channel: pending, sent, failed or skipped, with the error (admin)", None, None,
     None),
    ("get", "/api/notification-settings", "通知渠道 The company's channels and routes (admin; "
     "secrets masked)", None, None, None),
    ("put", "/api/notification-settings", "配置通知渠道 Set channels (WeCom, DingTalk, SMS) and "
     "routes per notice kind (admin)", tasks.NotificationConfig, None, None),
    ("get", "/api/pool", "公海 Customers in your projects' pool", None, leads.PoolQuery, None),
    ("post", "/api/pool/{customer_id}/claim", "认领 Claim a pool customer (daily cap, cooling)",
     None, None, None),
    ("post", "/api/pool/{customer_id}/assign", "分配 Assign a pool customer (manager)",
     leads.PoolAssignment, None, None),
    ("post", "/api/customers/{customer_id}/release", "释放到公海 Release to the pool",
     leads.Release, None, None),
    ("get", "/api/projects/{project_id}/lead-settings", "项目线索规则 A project's lead rules",
     None, None, leads.ProjectLeadSettings),
    ("put", "/api/projects/{project_id}/lead-settings", "修改项目线索规则 Change them",
     leads.ProjectLeadSettings, None, leads.ProjectLeadSettings),
    ("post", "/api/webhooks/leads/{channel}", "渠道线索推送 A platform's signed lead "
     "(X-Keyuan-Key, X-Keyuan-Timestamp, X-Keyuan-Signature; no bearer token)", None, None,
     leads.LeadAccepted),
    ("post", "/api/channels", "配置渠道 Create or update a channel (admin; secret on create)",
     None, None, None),
    ("post", "/api/channels/{code}/rotate-secret", "更换渠道密钥 Rotate a channel's secret",
     None, None, None),
    ("get", "/api/channels", "渠道 Channels (admin; never their secrets)", None, None, None),
    ("get", "/api/offers", "抢单 Offers open to you (grab mode)", None, None, None),
    ("post", "/api/offers/{offer_id}/grab", "抢 Grab an offer: the first wins", None, None,
     None),
    ("get", "/api/projects/{project_id}/reception", "轮岗接待 The walk-in line", None, None,
     None),
    ("post", "/api/projects/{project_id}/reception/next", "下一位 Who receives the visitor",
     None, None, None),
    ("post", "/api/projects/{project_id}/reception/join", "加入轮岗 Join the line", None, None,
     None),
    ("post", "/api/projects/{project_id}/reception/leave", "离开轮岗 Leave the line (a "
     "manager may take someone else out: user_id)", None, None, None),
    ("post", "/api/projects/{project_id}/reception/skip", "跳过 To the back of the line",
     None, None, None),
    ("post", "/api/projects/{project_id}/reception/pause", "暂停 Pause or resume", None, None,
     None),
    ("post", "/api/registrations", "报备 Register a customer (channel agent)",
     leads.NewRegistration, None, leads.RegistrationView),
    ("get", "/api/registrations", "我的报备 Your registrations", None, None, None),
    ("get", "/api/customers/{customer_id}/arrivals", "来访记录 Every lead naming the customer",
     None, None, None),
    ("get", "/api/customers/{customer_id}/rulings", "判客记录 Attribution decisions", None,
     None, None),
    ("get", "/api/analytics/funnel", "漏斗 Funnel counts", None, analytics.FunnelQuery,
     analytics.Funnel),
    ("post", "/api/imports", "导入线索 Import leads from .xlsx/.csv (multipart; 202 + job)",
     import_api.ImportUpload, None, import_api.ImportAccepted),
    ("post", "/api/imports/preview", "导入预览 The recognised column mapping and the first "
     "rows (multipart like POST /api/imports; nothing is imported)", import_api.ImportUpload,
     None, import_api.ImportPreview),
    ("get", "/api/imports/{job_id}", "导入进度 An import's status and counts", None, None,
     import_api.ImportStatus),
    ("get", "/api/imports/{job_id}/report", "导入报告 Each row: created, merged or rejected, "
     "and why", None, import_api.ReportQuery, None),
    ("get", "/api/imports/{job_id}/report.xlsx", "下载导入报告 The report as .xlsx", None,
     None, None),
    ("post", "/api/segments", "保存客群 Save a segment (a filter; immutable)",
     customers.NewSegment, None, customers.SegmentView),
    ("get", "/api/segments", "客群 The company's segments", None, None, None),
    ("post", "/api/segments/count", "客群试算 Count a filter in your scope",
     customers.SegmentFilter, None, None),
    ("get", "/api/segments/{segment_id}/count", "客群人数 Count a segment in your scope", None,
     None, None),
    ("get", "/api/segments/{segment_id}/customers", "客群名单 A segment's customers in your "
     "scope, newest first (page, page_size)", None, common.Page, None),
    ("post", "/api/campaigns", "营销活动 Send a message to a segment (manager; opted-out "
     "customers never included; Idempotency-Key honoured)", customers.NewCampaign, None,
     customers.CampaignView),
    ("get", "/api/campaigns", "营销活动列表 Your campaigns", None, None, None),
    ("get", "/api/campaigns/{campaign_id}/recipients", "接收人 Recipients with their opt-out "
     "links (after, limit)", None, None, None),
    ("get", "/api/marketing/opt-out/{signed_token}", "退订页 The opt-out page a message links to",
     None, None, None),
    ("post", "/api/marketing/opt-out/{signed_token}", "退订 One-click marketing opt-out "
     "(the signed link is the credential; no bearer token)", None, None, None),
    ("post", "/api/customers/{customer_id}/marketing-opt-out", "记录退订 Record a customer's "
     "opt-out or opt-in (audited)", customers.MarketingOptOut, None, None),
    ("get", "/api/customers/{customer_id}/marketing", "营销状态 Opt-out and referral standing",
     None, None, None),
    ("put", "/api/customers/{customer_id}/referrer", "推荐人 Set or clear who referred the "
     "customer (老带新)", customers.ReferrerChange, None, None),
    ("get", "/api/customers/{customer_id}/referrals", "推荐记录 Whom the customer referred, "
     "with reward status", None, None, None),
    ("post", "/api/customers/{customer_id}/consents", "记录授权 Record a consent or its "
     "withdrawal (withdrawn marketing opts out)", customers.NewConsent, None, None),
    ("get", "/api/customers/{customer_id}/consents", "授权记录 Consent history, newest first",
     None, None, None),
    ("post", "/api/customers/export", "导出客户 Export customers (manager+; audited; phones "
     "masked unless pii:reveal)", customers.ExportQuery, None, None),
    ("post", "/api/customers/merges", "合并客户 Merge a duplicate into its survivor (manager+)",
     customers.MergeRequest, None, None),
    ("get", "/api/customers/{customer_id}/merges", "合并记录 The merges a record took part in",
     None, None, None),
    ("post", "/api/privacy/requests", "个人信息请求 Data-subject request: export everything "
     "held on a person (200) or erase them everywhere (202); admin or privacy scope",
     customers.SubjectRequest, None, None),
    ("get", "/api/privacy/requests", "个人信息请求记录 Past data-subject requests, newest "
     "first: kind, the customer records (names masked), who, when (admin or privacy scope)",
     None, customers.SubjectRequestQuery, None),
    ("get", "/api/privacy/audit", "隐私审计 Who revealed or exported whose data, why and when, "
     "newest first; filter by action, actor, customer, dates (admin or privacy scope)",
     None, customers.AuditQuery, None),
    ("post", "/api/users/{user_id}/offboard", "离职交接 Offboard a user: deactivated at once, "
     "every customer moved by the plan (colleague, round_robin or pool, per project if you "
     "like); 202, the same call again answers the same offboarding", handover.HandoverPlan,
     None, handover.HandoverStatus),
    ("get", "/api/users/{user_id}/offboard", "交接进度 The plan, moved / total and the result "
     "per project", None, None, handover.HandoverStatus),
    ("post", "/api/customers/reassign", "批量转移 Move customers (ids or a filter) by a plan "
     "(manager+; Idempotency-Key honoured; any id out of scope refuses all: 404)",
     handover.ReassignRequest, None, handover.HandoverStatus),
    ("get", "/api/reassignments/{reassignment_id}", "转移进度 A bulk reassignment's progress",
     None, None, handover.HandoverStatus),
]
# Creates that a retry with the same Idempotency-Key answers once.
IDEMPOTENT = {"/api/leads", "/api/projects", "/api/teams", "/api/users",
              "/api/customers/reassign", "/api/campaigns"}

# Uploads: the body is multipart/form-data, not JSON.
MULTIPART = {"/api/imports", "/api/imports/preview"}

# Signed by other means (or the way in): no bearer token.
PUBLIC = {"/api/auth/login", "/api/webhooks/leads/{channel}",
          "/api/marketing/opt-out/{signed_token}"}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": ["string", "null"]}}}},
}


def spec() -> dict:
    schemas: dict[str, dict] = {"Error": ERROR_SCHEMA}

    def ref(model: type[BaseModel]) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict[str, dict] = {}
    for method, path, summary, body, query, response in ROUTES:
        op: dict = {"summary": summary, "responses": {
            "200": {"description": "OK", "content": {"application/json": {
                "schema": ref(response) if response else {"type": "object"}}}},
            "4XX": {"description": "Refused; the message names the field",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}},
        }}
        if path not in PUBLIC and (method, path) != ("post", "/api/web/session"):
            # Either the bearer token or the web app's session cookie (writes with the
            # cookie also send X-CSRF-Token).
            op["security"] = [{"bearer": []}, {"session": []}]
        if body is not None:
            op["requestBody"] = {"required": True, "content": {
                "multipart/form-data" if path in MULTIPART else "application/json": {
                    "schema": ref(body)}}}
        params = [{"name": part[1:-1], "in": "path", "required": True,
                   "schema": {"type": "string", "format": "uuid"} if part.endswith("_id}")
                   else {"type": "string"}}
                  for part in path.split("/") if part.startswith("{")]
        if query is not None:
            for name, prop in query.model_json_schema().get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": False,
                               "schema": prop})
        if path in IDEMPOTENT and method == "post":
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 200}})
        if params:
            op["parameters"] = params
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Keyuan 客源 API", "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "session": {"type": "apiKey", "in": "cookie", "name": "keyuan_session"}}},
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(spec())


@bp.get("/api/docs")
def docs():
    from gateway.api import web

    if (web.dist() / "docs.html").is_file():
        return web.page("docs.html")   # Swagger UI over /api/openapi.json (the web build)
    rows = "".join(
        f"<tr><td><code>{m.upper()}</code></td><td><code>{html.escape(p)}</code></td>"
        f"<td>{html.escape(s)}</td></tr>" for m, p, s, *_ in ROUTES)
    return (
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>客源 API</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:4px 12px}</style>"
        "<h1>客源 Keyuan API</h1><p>机器可读规范 Machine-readable spec: "
        "<a href=/api/openapi.json>/api/openapi.json</a></p>"
        f"<table>{rows}</table></html>"
    )
