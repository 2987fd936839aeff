"""The request hook that turns away writes during maintenance."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context, request

from app.maintenance.services import refuse_writes_during_maintenance
from app.view_marks import view_handler

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def maintenance_exempt(view: Callable) -> Callable:
    """Let a write through during maintenance: logging in and out, managing the windows
    themselves, payment webhooks (the gateway's news must not be lost)."""
    view._maintenance_exempt = True
    return view


def _guarded_write() -> bool:
    """Whether this request is a write that maintenance stops (False outside requests: jobs)."""
    if not has_request_context() or request.method not in WRITE_METHODS:
        return False
    if request.endpoint is None:
        return False
    handler = view_handler(current_app.view_functions[request.endpoint], request.method)
    return not getattr(handler, "_maintenance_exempt", False)


def _refuse_writes() -> None:
    if not _guarded_write():
        return
    user = g.get("user")
    refuse_writes_during_maintenance(user.authority_id if user is not None else None)


def refuse_writes_on_record(authority_id: int) -> None:
    """A write on a record kept by `authority_id`: refused while that authority is in maintenance.

    Applicants belong to no authority, so the request hook cannot stop their writes on one
    authority's records; the tenancy rule (`app.access.role_on_record`) calls this for them, which
    covers every route that reaches such a record: applications, documents, messages, payments,
    refunds and their evidence."""
    if _guarded_write():
        refuse_writes_during_maintenance(authority_id)


def init_maintenance(app: Flask) -> None:
    """Install after the access hook, so that the caller (and their authority) is known."""
    app.before_request(_refuse_writes)
