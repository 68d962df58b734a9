"""The web session: an httpOnly SameSite cookie the page cannot read, CSRF-checked writes,
bearer tokens untouched, sign-out ends it (the old cookie gets 401); the build is served
with long-lived hashed assets and a never-cached index.html."""

import re

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_sign_in_sets_a_cookie_scripts_cannot_read_and_sign_out_ends_it(app, suite):
    page = app.sign_in("hz.chen")
    page.get_by_text("陈晓明，").wait_for()
    cookie = next(c for c in page.context.cookies() if c["name"] == "keyuan_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/api"
    assert "keyuan_session" not in page.evaluate("document.cookie")
    stored = page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert "eyJ" not in stored                       # no token kept where scripts reach
    old = cookie["value"]
    jar = {"keyuan_session": old}
    assert requests.get(f"{suite.url}/api/me", cookies=jar, timeout=10).status_code == 200

    page.goto(f"{suite.url}/me")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r"/login"))
    app.shoot("signed-out")
    assert app.cookie() == ""
    assert requests.get(f"{suite.url}/api/me", cookies=jar, timeout=10).status_code == 401
    page.goto(f"{suite.url}/today")
    page.wait_for_url(re.compile(r"/login\?next=/today"))


def test_cookie_writes_need_the_csrf_token_and_bearer_clients_are_unchanged(suite):
    signed = requests.post(f"{suite.url}/api/web/session", timeout=10,
                           json={"username": "hz.wang", "password": "Keyuan@2026"})
    assert signed.status_code == 200 and "token" not in signed.json()
    jar, csrf = signed.cookies, signed.json()["csrf_token"]
    user = signed.json()["user"]["id"]
    duty = f"{suite.url}/api/users/{user}/duty"
    refused = requests.post(duty, cookies=jar, json={"on_duty": True}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "X-CSRF-Token"
    forged = requests.post(duty, cookies=jar, json={"on_duty": True}, timeout=10,
                           headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    ok = requests.post(duty, cookies=jar, json={"on_duty": True}, timeout=10,
                       headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert suite.get("/api/me", "hz.wang").status_code == 200          # bearer, no cookie
    wrong = requests.post(f"{suite.url}/api/web/session", timeout=10,
                          json={"username": "hz.wang", "password": "nope"})
    assert wrong.status_code == 401 and "keyuan_session" not in wrong.cookies


def test_the_build_is_served_with_cache_headers(suite):
    index = requests.get(f"{suite.url}/customers/anything", timeout=10)
    assert index.status_code == 200 and index.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in index.headers["Content-Security-Policy"]
    script = re.search(r'src="(/assets/[^"]+\.js)"', index.text).group(1)
    asset = requests.get(suite.url + script, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert asset.status_code == 200
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["Content-Encoding"] == "gzip"
    assert requests.get(f"{suite.url}/api/nothing-here", timeout=10).status_code == 404
    assert requests.get(f"{suite.url}/assets/../../pyproject.toml", timeout=10).status_code == 404
