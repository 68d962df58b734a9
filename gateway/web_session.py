"""The web app's session: the actor token in an httpOnly, SameSite=Strict cookie that page
scripts cannot read, and a CSRF defence for writes authenticated by that cookie.

Every other client keeps sending `Authorization: Bearer <token>`; a request that carries
that header is never looked at as a cookie session.

CSRF: a cookie-authenticated write (anything but GET/HEAD/OPTIONS) must carry
`X-CSRF-Token`, an HMAC of the session's token under the gateway's secret. The app gets it
from the sign-in answer and from `GET /api/web/session`; another site can neither read it
nor make it (SameSite=Strict keeps the cookie off cross-site requests in the first place)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import Request, Response

from contracts.errors import Forbidden, Unauthenticated

COOKIE = "keyuan_session"
COOKIE_PATH = "/api"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def token_from_cookie(request: Request, secret: str) -> str:
    """The session token of a request without an Authorization header, CSRF-checked for
    writes; Unauthenticated when there is no (live) session, Forbidden for a write without
    the right CSRF token."""
    token = request.cookies.get(COOKIE, "").strip()
    if not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>' (POST /api/auth/login) "
                              "or sign in (POST /api/web/session)", "Authorization")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_token(token, secret).encode()):
            raise Forbidden(f"a write with the session cookie needs the {CSRF_HEADER} header "
                            "(GET /api/web/session answers it)", CSRF_HEADER)
    return token


def set_cookie(response: Response, token: str, expires: datetime, secure: bool) -> None:
    response.set_cookie(COOKIE, token, expires=expires, path=COOKIE_PATH, secure=secure,
                        httponly=True, samesite="Strict")


def clear_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=secure, httponly=True,
                           samesite="Strict")


