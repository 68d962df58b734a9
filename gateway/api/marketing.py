"""The customer's one-click marketing opt-out (no login: the signed link is the credential),
staff recording an opt-out, and referrals (老带新)."""

from __future__ import annotations

import html

from flask import Blueprint, jsonify, request

from gateway.context import call, json_body, token

bp = Blueprint("marketing", __name__)

_PAGE = ("<!doctype html><html lang=zh-CN><meta charset=utf-8>"
         "<meta name=viewport content='width=device-width,initial-scale=1'>"
         "<title>退订营销信息</title><style>body{{font-family:sans-serif;margin:2em;"
         "max-width:32em}}button{{font-size:1.2em;padding:.5em 1.5em}}</style>{body}</html>")


@bp.get("/api/marketing/opt-out/<signed_token>")
def opt_out_page(signed_token: str):
    """What the link in a message opens: one button. (A GET changes nothing, so a link
    previewer or a mail scanner fetching the link cannot opt anyone out.)"""
    action = html.escape(request.path, quote=True)
    return _PAGE.format(body=(
        "<h1>退订营销信息</h1><p>点击下方按钮后，我们将不再向您发送营销短信、微信或站内消息。"
        "</p><p>Stop marketing messages from us.</p>"
        f"<form method=post action='{action}'><button type=submit>退订 Unsubscribe</button>"
        "</form>"))


@bp.post("/api/marketing/opt-out/<signed_token>")
def opt_out(signed_token: str):
    answer = call("customers", "opt_out", signed_token)
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return _PAGE.format(body="<h1>已退订</h1><p>您将不再收到我们的营销信息。</p>"
                                 "<p>You will get no more marketing messages from us.</p>")
    return jsonify(answer)


@bp.post("/api/customers/<customer_id>/marketing-opt-out")
def set_marketing_opt_out(customer_id: str):
    caller = token()
    return jsonify(call("customers", "set_marketing_opt_out", caller, customer_id,
                        json_body()))


@bp.get("/api/customers/<customer_id>/marketing")
def marketing_status(customer_id: str):
    return jsonify(call("customers", "marketing_status", token(), customer_id))


@bp.put("/api/customers/<customer_id>/referrer")
def set_referrer(customer_id: str):
    caller = token()
    return jsonify(call("customers", "set_referrer", caller, customer_id, json_body()))


@bp.get("/api/customers/<customer_id>/referrals")
def referrals(customer_id: str):
    return jsonify(call("customers", "referrals", token(), customer_id))
