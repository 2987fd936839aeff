"""Who may call what: the one mechanism.

Every view declares its callers with `@allow(...)`: `PUBLIC`, `AUTHENTICATED`, or roles.
A `before_request` hook reads the declaration of the view about to run and enforces it;
a view without one is refused (fail closed), and a test checks that every route has one.
The same declaration is written into the OpenAPI document (`security`, `x-allowed-roles`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_smorest import Blueprint

from app.accounts.models import AuthSession, Role, User
from app.accounts.terms import pending_terms_exist, refuse_if_pending
from app.accounts.tokens import read_access_token
from app.errors import Forbidden, NotFound, Unauthorized
from app.extensions import db
from app.i18n import N_
from app.maintenance.hooks import WRITE_METHODS, refuse_writes_on_record
from app.timeutil import real_utcnow  # sign-in: never the frozen test clock
from app.view_marks import view_handler

PUBLIC = "public"
AUTHENTICATED = "authenticated"
INVALID_TOKEN = N_("The access token is invalid or has expired.")
STAFF = (Role.INSPECTOR, Role.FINANCE, Role.DEPARTMENT_HEAD, Role.ADMIN)
# Who may write to records open to every logged-in role: all but the auditor, who only reads
# (an auditor may still log out, change their own profile and mark their notices read).
ACTORS = (Role.APPLICANT, *STAFF)


def allow(*callers: str | Role) -> Callable:
    """Declare who may call the decorated view: `PUBLIC`, `AUTHENTICATED` or roles."""
    allowed = frozenset(str(c) for c in callers)
    if not allowed:
        raise ValueError("allow() needs at least one caller")
    if (PUBLIC in allowed or AUTHENTICATED in allowed) and len(allowed) > 1:
        raise ValueError("PUBLIC and AUTHENTICATED stand alone")

    if PUBLIC in allowed:
        doc = {"security": [], "x-allowed-roles": ["public"]}
        who = "anyone, no login needed"
    else:
        roles = sorted(r.value for r in Role) if AUTHENTICATED in allowed else sorted(allowed)
        doc = {"security": [{"bearerAuth": []}], "x-allowed-roles": roles}
        who = ", ".join(roles)

    def decorate(view: Callable) -> Callable:
        view._allowed = allowed
        summary, _, rest = (view.__doc__ or "").strip().partition("\n")
        description = (rest.strip() + "\n\n" if rest.strip() else "") + f"**Who may call:** {who}."
        return Blueprint.doc(**doc, description=description)(view)

    return decorate


def allowed_callers(view_function: Callable, method: str) -> frozenset[str] | None:
    return getattr(view_handler(view_function, method), "_allowed", None)


def current_user() -> User | None:
    return g.get("user")


def require_user() -> User:
    user = current_user()
    if user is None:
        raise Unauthorized()
    return user


# Built once, not per request: every authenticated request sends it.
# The user of a live session only: the session's own columns stay in the database. With it,
# whether a current version of the terms waits for the user's acceptance (app.accounts.terms).
_SESSION_WITH_USER = (
    sa.select(User, pending_terms_exist(User.id).label("terms_pending"))
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        AuthSession.id == sa.bindparam("session_id"),
        User.is_active.is_(True),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > sa.bindparam("now", type_=AuthSession.expires_at.type),
    )
)


def _authenticate() -> None:
    g.user = g.user_id = None
    g.session_id = None
    g.terms_pending = False
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # request.headers["Authorization"]
    if not header:
        return
    scheme, _, token = header.partition(" ")
    found = read_access_token(token.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise Unauthorized(code="invalid_token", detail=INVALID_TOKEN)
    user_id, session_id = found
    found = db.session.execute(
        _SESSION_WITH_USER,
        {"user_id": user_id, "session_id": session_id, "now": real_utcnow()},
    ).first()
    if found is None:  # no such session, revoked, expired, or its user deactivated
        raise Unauthorized(code="invalid_token", detail=INVALID_TOKEN)
    user, g.terms_pending = found
    g.user, g.user_id, g.session_id = user, user_id, session_id


def _enforce() -> None:
    if request.endpoint is None:  # unknown route or method: the 404/405 handlers answer
        return
    if request.endpoint in current_app.extensions["public_endpoints"]:
        return
    view = current_app.view_functions[request.endpoint]
    allowed = allowed_callers(view, request.method)
    if allowed is None:
        if request.method == "OPTIONS":
            return
        current_app.logger.error(
            "route without access declaration", extra={"endpoint": request.endpoint}
        )
        raise Forbidden()
    _authenticate()
    if PUBLIC in allowed:
        return
    user = require_user()
    if not (AUTHENTICATED in allowed or user.role.value in allowed):
        raise Forbidden()
    if (
        g.terms_pending
        and user.role is Role.APPLICANT
        and request.method in WRITE_METHODS
        and not getattr(view_handler(view, request.method), "_terms_exempt", False)
    ):
        refuse_if_pending(user)


def init_access(app: Flask, public_endpoints: Iterable[str]) -> None:
    """Enforce declarations before every request; `public_endpoints` are views of libraries
    (the OpenAPI document and its docs page) that cannot carry a declaration themselves."""
    app.extensions["public_endpoints"] = frozenset(public_endpoints)
    app.before_request(_enforce)


def public_endpoint(view: Callable) -> Callable:
    """Mark a plain Flask view (health checks, docs assets) as public."""
    view._allowed = frozenset({PUBLIC})
    return view


def role_on_record(actor: User, owner_id: int, authority_id: int) -> str:
    """The tenancy rule, for every record an applicant owns and an authority keeps: the role the
    caller acts in on it ("applicant" for its owner, the staff role for staff of that authority).
    Anyone else gets 404, never the record and never a hint that it exists."""
    if actor.role == Role.APPLICANT:
        if actor.id != owner_id:
            raise NotFound()
        refuse_writes_on_record(authority_id)
        return "applicant"
    if actor.authority_id != authority_id:
        raise NotFound()
    return actor.role.value
