"""The request hook that turns away writes during maintenance."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, request

from app.access import view_handler

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def maintenance_exempt(view: Callable) -> Callable:
    """Let a write through during maintenance: logging in and out, managing the windows
    themselves, payment webhooks (the gateway's news must not be lost)."""
    view._maintenance_exempt = True
    return view


def _refuse_writes() -> None:
    from app.maintenance.services import refuse_writes_during_maintenance

    if request.method not in WRITE_METHODS or request.endpoint is None:
        return
    handler = view_handler(current_app.view_functions[request.endpoint], request.method)
    if getattr(handler, "_maintenance_exempt", False):
        return
    user = g.get("user")
    refuse_writes_during_maintenance(user.authority_id if user is not None else None)


def init_maintenance(app: Flask) -> None:
    """Install after the access hook, so that the caller (and their authority) is known."""
    app.before_request(_refuse_writes)
