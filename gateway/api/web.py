"""The web app: its cookie session (sign in, who am I, sign out) and its built files.

`/assets/*` are content-hashed by the build: cached for a year. `index.html` (every app
route falls back to it) is never cached, so a new build is picked up at the next visit.
A gzip copy made by the build is sent to a browser that accepts it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, jsonify, request, send_file
from werkzeug.routing import BaseConverter

from contracts.errors import Forbidden, NotFound, Unauthenticated
from gateway import web_session
from gateway.context import bearer, call, gateway, json_body, presented_token
from kit import auth

bp = Blueprint("web", __name__)


class AppRoute(BaseConverter):
    """A path of the app's own (not the API's, not a file's): /customers/<id>, /pool ..."""

    regex = r"(?!api/|assets/|healthz$|metrics$)[^.]*"
    part_isolating = False


@bp.record_once
def _converter(state) -> None:
    state.app.url_map.converters["approute"] = AppRoute

ROOT = Path(__file__).resolve().parents[2]
YEAR = 365 * 24 * 3600
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png",
         ".woff2": "font/woff2", ".ico": "image/x-icon", ".webmanifest":
         "application/manifest+json"}
# Pages: scripts only from us, no inline script, nothing framed; images may be the
# camera's blob: previews.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


def dist() -> Path:
    folder = Path(gateway().settings.web_dist_dir)
    return folder if folder.is_absolute() else ROOT / folder


def _secure() -> bool:
    return request.is_secure or gateway().settings.env == "prod"


def _session_answer(token: str, fact: dict, expires_at: str | None = None) -> dict:
    answer = {"user": fact, "csrf_token": web_session.csrf_token(
        token, gateway().settings.secret_key)}
    if expires_at:
        answer["expires_at"] = expires_at
    return answer


@bp.post("/api/web/session")
def sign_in():
    """Sign in with username and password: the session cookie (httpOnly) and the CSRF token;
    the token itself never reaches page scripts."""
    result = call("directory", "login", json_body())
    token = result.pop("token")
    answer = {k: v for k, v in result.items() if k != "actor"}
    answer.update(_session_answer(token, result.get("actor", {})))
    if not result.get("must_change_password"):
        answer["user"] = call("directory", "me", token)
    response = jsonify(answer)
    web_session.set_cookie(response, token, datetime.fromisoformat(result["expires_at"]),
                           _secure())
    return response


def renewed_session(login: dict) -> Response:
    """The web session's answer to a new login of its user (a changed password): the
    cookie now holds the new token; the user and a CSRF token for it, not the token."""
    response = jsonify(_session_answer(login["token"], call("directory", "me", login["token"]),
                                       login["expires_at"]))
    web_session.set_cookie(response, login["token"], datetime.fromisoformat(login["expires_at"]),
                           _secure())
    return response


@bp.get("/api/web/session")
def current_session():
    """The signed-in user and the CSRF token for this session (401 when signed out). A
    session whose password must change first answers its claims and says so, so a reload
    keeps the user on the password form instead of signing them out."""
    token, _ = presented_token()
    try:
        bearer()
    except Forbidden as refused:
        if refused.field != "password":
            raise
        claims = auth.verify(token, gateway().settings.secret_key, auth.PASSWORD_CHANGE)
        return jsonify({**_session_answer(token, claims.model_dump(mode="json")),
                        "must_change_password": True})
    return jsonify(_session_answer(token, call("directory", "me", token)))


@bp.delete("/api/web/session")
def sign_out():
    """End the session: its token is logged out, the cookie removed. Again is harmless."""
    response = Response(status=204)
    try:
        token, _ = bearer()   # a write: the CSRF check applies
    except Unauthenticated:
        token = None          # expired or ended already: only the cookie is left to remove
    if token is not None:
        _end(token)
    web_session.clear_cookie(response, _secure())
    return response


def _end(token: str) -> None:
    call("directory", "logout", token)   # revoked everywhere (token.revoked)


def _file(path: Path, cache: str) -> Response:
    gz = path.with_name(path.name + ".gz")
    zipped = gz.is_file() and "gzip" in request.headers.get("Accept-Encoding", "")
    response = send_file(gz if zipped else path, mimetype=TYPES.get(path.suffix),
                         max_age=None, conditional=True, etag=True)
    response.headers.pop("Content-Disposition", None)
    if zipped:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def page(name: str) -> Response:
    """An HTML page of the build, never cached, with the app's content security policy."""
    path = dist() / name
    if not path.is_file():
        response = Response(
            "<!doctype html><meta charset=utf-8><title>客源</title>"
            "<p>网页版尚未构建 The web app is not built: run <code>make up</code> "
            "(or <code>cd web && npm ci && npm run build</code>).</p>",
            status=503, mimetype="text/html")
    else:
        response = _file(path, "no-store")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/assets/<path:name>")
def asset(name: str):
    folder = (dist() / "assets").resolve()
    path = (folder / name).resolve()
    if folder not in path.parents or not path.is_file():
        raise NotFound("no such file", "path")
    return _file(path, f"public, max-age={YEAR}, immutable")


@bp.get("/")
@bp.get("/<approute:route>")
def app_page(route: str = ""):
    """Every app route is the app's one page (the router then shows the route)."""
    return page("index.html")


@bp.get("/<name>.<any(png, ico, svg, webmanifest):kind>")
def top_file(name: str, kind: str):
    """The few unhashed files at the top of the build (icons, manifest)."""
    path = dist() / f"{name}.{kind}"
    if "/" in name or not path.is_file():
        raise NotFound("no such file", "path")
    return _file(path, "public, max-age=86400")
