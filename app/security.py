"""Security headers on every response; CORS only when configured."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_cors import CORS
from werkzeug.datastructures import Headers

API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"
# On every answer (unless the view set its own), with the Content-Security-Policy of its kind.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
# The docs page runs Swagger UI from our own assets; its page template has one inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, which builds its signing serializer (an HMAC key
    derivation) for every request: a request without the cookie (every API call, which
    authenticates by bearer token) gets an empty session without one. An empty, unmodified
    session is not saved, so it never needs the serializer either."""

    def open_session(self, app, request):
        # No Cookie header at all (every API call): not even the cookies are parsed.
        if "HTTP_COOKIE" not in request.environ or not request.cookies.get(
            self.get_cookie_name(app)
        ):
            return self.session_class()
        return super().open_session(app, request)


def init_security(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
    origins = [o.strip() for o in app.config["CORS_ORIGINS"].split(",") if o.strip()]
    if origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": origins}},
            expose_headers=["X-Pagination", "X-Request-ID"],
        )

    hsts = (("Strict-Transport-Security", HSTS),) if app.config["HSTS"] else ()
    # Built once per app: every answer gets one of these lists, less what the view already set.
    api_csp, docs_csp = ("Content-Security-Policy", API_CSP), ("Content-Security-Policy", DOCS_CSP)
    api = (*SECURITY_HEADERS, api_csp, ("Cache-Control", "no-store"), *hsts)
    docs = (*SECURITY_HEADERS, docs_csp, *hsts)
    other = (*SECURITY_HEADERS, api_csp, *hsts)

    @app.after_request
    def headers(response):
        path = request.path
        if path.startswith("/api/v1"):
            wanted = api
        elif path.startswith("/api/docs"):
            wanted = docs
        else:
            wanted = other
        add_missing(response.headers, wanted)
        return response


def add_missing(headers: Headers, wanted: tuple[tuple[str, str], ...]) -> None:
    """Each of `wanted` that `headers` does not have yet (by case-insensitive name), in order:
    one pass over the answer's few headers instead of a look-up per header, since werkzeug's
    look-up of a missing header raises and catches a KeyError."""
    present = {name.lower() for name, _value in headers.items()}
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
