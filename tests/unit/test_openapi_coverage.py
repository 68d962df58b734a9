"""Every endpoint the gateway serves is in its OpenAPI document, with the same method: an
integrator reading /api/docs sees all of the API."""

import re

from gateway.app import create_app
from gateway.openapi import ROUTES
from kit.settings import Settings

SELF_DESCRIBED = {"/api/openapi.json", "/api/docs", "/healthz", "/metrics",
                  "/static/<path:filename>",
                  # the web app's files and pages (gateway/api/web.py), not API
                  "/", "/<approute:route>", "/assets/<path:name>",
                  "/<name>.<any(png, ico, svg, webmanifest):kind>"}


def test_every_route_is_documented():
    app = create_app(Settings(env="test"))
    served = {(method.lower(), re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule))
              for rule in app.url_map.iter_rules() if rule.rule not in SELF_DESCRIBED
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for method, path, *_ in ROUTES}
    assert served - documented == set()
    assert documented - served == set()
