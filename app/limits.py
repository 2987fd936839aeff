"""Request rate limits per client address and per account, with Flask-Limiter.

A view declares its group with `@rate_limited("login")`; `init_limits` gives each app its own
limiter (Redis storage when REDIS_URL is set, so every process shares the counts; memory
otherwise, per process) and wraps the marked views with their group's limits, read from the
settings (`RATE_LIMIT_<GROUP>_PER_ADDRESS`, `..._PER_ACCOUNT`): one counter per limit and key,
shared by the group's endpoints. A limit reached answers 429 problem JSON `too_many_requests`
with Retry-After.

The client address is the socket's, or with TRUSTED_PROXY_COUNT = n > 0 the n-th address from
the right of X-Forwarded-For (werkzeug's ProxyFix): never more than the proxies we run add, so a
client cannot choose its own address.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import limits
from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors import TooManyRequests, problem_response
from app.view_marks import view_handler


def by_address() -> str:
    return request.remote_addr or "unknown"


def by_login_identifier() -> str:
    """The login identifier of the body, normalised as login and the lockout read it."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        for kind in ("email", "civil_id"):
            if isinstance(body.get(kind), str):
                return f"{kind}:{body[kind].strip().lower()}"
    return "none"


def by_account() -> str:
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"address:{by_address()}"


def by_api_key() -> str:
    """An Open311 client's key, from the form it posts (hashed: the counter's name is stored)."""
    import hashlib

    key = request.form.get("api_key") or ""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]


# group -> (setting, key) pairs: every limit of the group applies, each with its own counter.
GROUPS: dict[str, tuple[tuple[str, Callable[[], str]], ...]] = {
    "login": (
        ("RATE_LIMIT_LOGIN_PER_ADDRESS", by_address),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", by_login_identifier),
    ),
    "refresh": (("RATE_LIMIT_REFRESH_PER_ADDRESS", by_address),),
    "register": (("RATE_LIMIT_REGISTER_PER_ADDRESS", by_address),),
    "password": (
        ("RATE_LIMIT_PASSWORD_PER_ADDRESS", by_address),
        ("RATE_LIMIT_PASSWORD_PER_ACCOUNT", by_account),
    ),
    "password_reset": (
        ("RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS", by_address),
        ("RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT", by_login_identifier),
    ),
    "upload": (
        ("RATE_LIMIT_UPLOAD_PER_ADDRESS", by_address),
        ("RATE_LIMIT_UPLOAD_PER_ACCOUNT", by_account),
    ),
    "public_reports": (("RATE_LIMIT_PUBLIC_REPORTS_PER_ADDRESS", by_address),),
    "open311": (
        ("RATE_LIMIT_OPEN311_PER_ADDRESS", by_address),
        ("RATE_LIMIT_OPEN311_PER_KEY", by_api_key),
    ),
}


def rate_limited(group: str) -> Callable:
    """Count the decorated view method's requests against the limits of `group`."""
    if group not in GROUPS:
        raise ValueError(f"no rate-limit group {group!r}")

    def decorate(view: Callable) -> Callable:
        view._rate_limit_group = group
        return view

    return decorate


def init_limits(app: Flask) -> None:
    """Trust the configured proxies, build the app's limiter and wrap the marked views.

    Call after every blueprint is registered. A malformed limit setting fails here, at start.
    """
    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0, x_host=0)
    for pairs in GROUPS.values():
        for setting, _key in pairs:
            limits.parse_many(app.config[setting])
    redis_url = app.config["REDIS_URL"]
    limiter = Limiter(
        key_func=by_address,
        enabled=app.config["RATE_LIMITS_ENABLED"],
        storage_uri=redis_url or "memory://",
        storage_options={"socket_timeout": 2, "socket_connect_timeout": 2} if redis_url else {},
        strategy="moving-window",
        key_prefix="baladiya-limits",
        # Redis down: count in this process's memory meanwhile, rather than answer 500.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    _init_without_request_hooks(app, limiter)
    app.extensions["rate_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _wrap(limiter, app, view)


# Settings under which Flask-Limiter's own request hooks have work to do (limits on every
# request, or X-RateLimit headers on every answer); we set none of them.
_HOOKED_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_HEADERS_ENABLED")


def _init_without_request_hooks(app: Flask, limiter: Limiter) -> None:
    """`limiter.init_app(app)`, less the before/after/teardown hooks it adds to every request.

    Those hooks evaluate default and application-wide limits and write X-RateLimit headers; we
    have neither: every limit of ours is a view's, and Flask-Limiter checks a view's limits in
    the view's own decorator (`_wrap`), when that view runs. Kept, the hooks cost every request
    (a public catalogue read, a 304) about a tenth of its time for nothing. Should one of those
    settings appear, the hooks stay."""
    if any(app.config.get(setting) for setting in _HOOKED_SETTINGS):
        limiter.init_app(app)
        return
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    known = [list(registry.get(None, ())) for registry in registries]
    limiter.init_app(app)
    for registry, before in zip(registries, known, strict=True):
        added = [hook for hook in registry.get(None, ()) if hook not in before]
        if len(added) != 1:  # a Flask-Limiter that hooks differently: keep what it added
            return
    for registry, before in zip(registries, known, strict=True):
        registry[None] = before


def _wrap(limiter: Limiter, app: Flask, view: Callable) -> Callable:
    """The view with the limits of its methods' groups (only MethodViews carry groups)."""
    methods = getattr(getattr(view, "view_class", None), "methods", None) or ()
    for method in sorted(methods):
        group = getattr(view_handler(view, method), "_rate_limit_group", None)
        for setting, key in GROUPS.get(group, ()):
            # Shared: one counter per setting and key across the group's endpoints (both
            # upload routes draw on one budget).
            view = limiter.shared_limit(
                app.config[setting], scope=setting, key_func=key, methods=[method]
            )(view)
    return view


def _too_many_requests(error: RateLimitExceeded):
    limit = current_app.extensions["rate_limiter"].current_limit
    retry = max(1, int(limit.reset_at - time.time())) if limit is not None else 60
    return problem_response(TooManyRequests(headers={"Retry-After": str(retry)}))
