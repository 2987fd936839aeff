"""Security headers on every response; CORS only when configured."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_cors import CORS

API_CSP = "default-src 'none'; frame-ancestors 'none'"
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
        if not request.cookies.get(self.get_cookie_name(app)):
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

    @app.after_request
    def headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault(
            "Content-Security-Policy", DOCS_CSP if request.path.startswith("/api/docs") else API_CSP
        )
        if request.path.startswith("/api/v1"):
            h.setdefault("Cache-Control", "no-store")
        if app.config["HSTS"]:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
