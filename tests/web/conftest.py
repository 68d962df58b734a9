"""Browser tests: Debian's Chromium (/usr/bin/chromium, never a browser Playwright would
download) driven by Playwright against the suite started as `make up` starts it (the e2e
`suite` fixture: its own database, vhost and ports). One browser for the session, a fresh
context (cookies, storage) per test, phone-sized unless a test says otherwise. Screenshots
go to tests/web/artifacts/ (not committed)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from cli.web_build import ensure_built
from tests.e2e.conftest import suite  # noqa: F401  (the same suite, started for these tests)
from tests.infra import engine, infra  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 375, "height": 812}
DESK = {"width": 1440, "height": 900}
PASSWORD = "Keyuan@2026"


@pytest.fixture(scope="session", autouse=True)
def web_built():
    """The app is built before the suite serves it (a no-op when web/ did not change)."""
    ensure_built()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        pytest.fail("the browser tests need Debian's Chromium: apt-get install chromium "
                    "fonts-noto-cjk (.ci/run installs them)")
    # No network but loopback here: keep Chromium from calling home.
    return {"executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture
def browser_context_args():
    return {"viewport": PHONE, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "device_scale_factor": 1, "has_touch": True}


@pytest.fixture
def app(page, suite):  # noqa: F811
    """The page with the suite's address, sign-in and screenshot helpers."""
    return App(page, suite)


class App:
    def __init__(self, page, suite):  # noqa: F811
        self.page, self.suite, self.url = page, suite, suite.url
        page.set_default_timeout(10_000)

    def go(self, path: str):
        self.page.goto(self.url + path)
        return self.page

    def sign_in(self, username: str, then: str | None = None):
        page = self.go("/login" + (f"?next={then}" if then else ""))
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        return page

    def shoot(self, name: str) -> None:
        """Screenshots at 375 and 1440 px (the phone, a desk screen)."""
        ARTIFACTS.mkdir(exist_ok=True)
        page = self.page
        for label, size in (("375", PHONE), ("1440", DESK)):
            page.set_viewport_size(size)
            page.wait_for_timeout(150)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(PHONE)

    def cookie(self) -> str:
        found = [c for c in self.page.context.cookies() if c["name"] == "keyuan_session"]
        return found[0]["value"] if found else ""


def new_phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def project_id(suite, user: str = "mgr.hz") -> str:  # noqa: F811
    return suite.get("/api/me/projects", user).json()["items"][0]["id"]


def post_lead(suite, name: str, phone: str, user: str = "mgr.hz", **extra) -> dict:  # noqa: F811
    answer = suite.post("/api/leads", user, headers={"Idempotency-Key": str(uuid.uuid4())},
                        json={"name": name, "phone": phone, "channel": "douyin",
                              "project_id": project_id(suite, user), **extra})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()
