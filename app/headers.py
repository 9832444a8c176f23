"""Security headers on every response, with a per-request nonce for the one inline script, and
the Host header checked on every request."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from flask import Response
from flask import g
from flask import request
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment

STATIC_PREFIX = "/static/"


def csp_nonce() -> str:
    """The nonce for this request's inline script (GOV.UK's `govuk-frontend-supported` flag)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


def apply_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    # Same-origin only: nothing leaves for other sites, and Flask-WTF's HTTPS check, which
    # refuses a POST without a same-site Referer, still gets one. Security R36 asks for
    # no-referrer, which would refuse every form over HTTPS (README, "Security headers").
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if not request.path.startswith(STATIC_PREFIX):
        # Pages may hold case data: never keep them in a browser or proxy cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(apply_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


UNTRUSTED_HOST = (
    "Sorry, there is a problem with the request: this server does not answer to that name."
)


class TrustedHostsOnly:
    """WSGI middleware: a request naming a host the deployment does not serve (EXTERNAL_URL's
    and TRUSTED_HOSTS) gets a plain 400 before the app sees it.

    Nothing is built from such a request, not even its error page, whose links would need the
    host. Flask's own TRUSTED_HOSTS check, set too, would answer it only with a 500.
    """

    def __init__(self, app: WSGIApplication, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = list(hosts)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            get_host(environ, trusted_hosts=self.hosts)
        except SecurityError:
            refused = Response(UNTRUSTED_HOST, status=400, content_type="text/plain; charset=utf-8")
            refused.headers["X-Content-Type-Options"] = "nosniff"
            refused.headers["Cache-Control"] = "no-store"
            return refused(environ, start_response)
        return self.app(environ, start_response)
