"""Channel webhooks over HTTP: an admin configures douyin, the platform posts signed leads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests

from cli.demo_data import PROJECTS
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])


@pytest.fixture(scope="module")
def douyin(suite) -> dict:
    """The demo company's douyin channel and a secret for it (rotated if it already was)."""
    answer = suite.post("/api/channels", "admin",
                        json={"code": "douyin", "default_project_id": HZ})
    assert answer.status_code in (200, 201), answer.text
    channel = answer.json()
    if "secret" not in channel:
        channel = suite.post("/api/channels/douyin/rotate-secret", "admin").json()
    assert answer.headers["Cache-Control"] == "no-store"
    return channel


def deliver(suite, channel: dict, payload: dict, age: int = 0) -> requests.Response:
    """Post `payload` as the platform does, signed `age` seconds ago."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()) - age)
    digest = hmac.new(channel["secret"].encode(), timestamp.encode() + b"." + body,
                      hashlib.sha256).hexdigest()
    return requests.post(f"{suite.url}/api/webhooks/leads/douyin", data=body, timeout=15,
                         headers={"Content-Type": "application/json",
                                  "X-Keyuan-Key": channel["key_id"],
                                  "X-Keyuan-Timestamp": timestamp,
                                  "X-Keyuan-Signature": f"sha256={digest}"})


def clue(phone: str) -> dict:
    return {"event": "clue.create",
            "data": {"clue": {"clue_id": uuid.uuid4().hex, "name": "抖音王先生",
                              "telephone": phone, "intention": {"purpose": "自住"}},
                     "ad": {"campaign_name": "滨江壹号-周末看房团"}}}


def test_a_signed_douyin_lead_becomes_a_customer_of_the_project(suite, douyin):
    phone = f"135{uuid.uuid4().int % 10**8:08d}"
    delivery = clue(phone)
    answer = deliver(suite, douyin, delivery)
    assert answer.status_code == 201, answer.text
    lead = answer.json()
    assert lead["status"] == "created"

    def listed():
        items = suite.get("/api/customers", "mgr.hz", params={"page_size": 200}).json()["items"]
        return next((c for c in items if c["id"] == lead["customer_id"]), None)

    customer = eventually(listed)
    assert customer["name"] == "抖音王先生"
    assert customer["phone"] == f"{phone[:3]}****{phone[-4:]}"

    retried = deliver(suite, douyin, delivery)  # the platform did not see our answer
    assert retried.json()["lead_id"] == lead["lead_id"]
    listing = suite.get("/api/channels", "admin").json()["items"]
    assert "douyin" in {c["code"] for c in listing}
    assert not any("secret" in c for c in listing)


def test_a_replayed_or_unsigned_delivery_is_refused_with_401(suite, douyin):
    replayed = deliver(suite, douyin, clue("13500000000"), age=600)
    assert replayed.status_code == 401
    assert replayed.json()["error"]["field"] == "X-Keyuan-Timestamp"
    forged = deliver(suite, {**douyin, "secret": "guessed"}, clue("13500000000"))
    assert forged.status_code == 401
    assert forged.json()["error"]["field"] == "X-Keyuan-Signature"
    assert suite.post("/api/channels", "mgr.hz", json={"code": "douyin"}).status_code == 403
