"""The HTTP request each external channel takes, and how to read its answer. No I/O.

- WeCom (企业微信) group robot: POST the webhook URL (it carries the robot's key) with
  {"msgtype": "text", "text": {"content": ...}}; it answers {"errcode": 0, "errmsg": "ok"}.
- DingTalk (钉钉) group robot: the same body to its URL (access_token); with 加签 a secret is
  configured and the URL gets `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret,
  timestamp + "\\n" + secret)); it answers {"errcode": 0, ...}.
- SMS provider: a generic JSON POST {"phone": E.164, "sender", "template", "params"} with
  `Authorization: Bearer <api_key>`; any 2xx is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from urllib.parse import quote_plus


@dataclass(frozen=True)
class HttpRequest:
    url: str
    json: dict
    headers: dict = field(default_factory=dict)


def text_body(content: str) -> dict:
    return {"msgtype": "text", "text": {"content": content}}


def wecom(url: str, content: str) -> HttpRequest:
    return HttpRequest(url, text_body(content))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature (not yet URL-encoded)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()


def dingtalk(url: str, secret: str | None, content: str, timestamp_ms: int) -> HttpRequest:
    if secret:
        joiner = "&" if "?" in url else "?"
        url = (f"{url}{joiner}timestamp={timestamp_ms}"
               f"&sign={quote_plus(dingtalk_sign(secret, timestamp_ms))}")
    return HttpRequest(url, text_body(content))


def sms(url: str, api_key: str, sender: str, phone: str, template: str,
        params: dict) -> HttpRequest:
    return HttpRequest(url, {"phone": phone, "sender": sender, "template": template,
                             "params": params},
                       {"Authorization": f"Bearer {api_key}"})


def refusal(channel: str, status_code: int, body: str) -> str | None:
    """Why the channel did not take the message, or None when it did."""
    if not 200 <= status_code < 300:
        return f"HTTP {status_code}: {body[:200]}"
    if channel in ("wecom", "dingtalk"):
        try:
            answer = json.loads(body)
        except ValueError:
            return f"not a robot's answer: {body[:200]}"
        code = answer.get("errcode") if isinstance(answer, dict) else None
        if code not in (0, None):
            return f"errcode {code}: {str(answer.get('errmsg', ''))[:200]}"
    return None
