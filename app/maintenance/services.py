"""Announcing maintenance windows and refusing writes while one is on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext

from app.accounts.models import User
from app.audit import record_change
from app.errors import NotFound, ServiceUnavailable, ValidationFailed
from app.extensions import db
from app.i18n import N_, current_language
from app.maintenance.models import MaintenanceWindow
from app.timeutil import utcnow


def announce_window(admin: User, data: dict[str, Any]) -> MaintenanceWindow:
    """Announce a window for the admin's authority, or for every authority (`all_authorities`)."""
    if data["ends_at"] <= data["starts_at"]:
        raise ValidationFailed({"ends_at": [N_("The end must come after the start.")]})
    if data["ends_at"] <= utcnow():
        raise ValidationFailed({"ends_at": [N_("The window must end in the future.")]})
    window = MaintenanceWindow(
        authority_id=None if data.get("all_authorities") else admin.authority_id,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        message_ar=data["message_ar"],
        message_en=data["message_en"],
        created_by_id=admin.id,
    )
    db.session.add(window)
    db.session.flush()
    record_change(
        "maintenance.announced",
        "maintenance_window",
        window.id,
        authority_id=admin.authority_id,
        after=_view(window),
    )
    return window


def cancel_window(admin: User, window_id: int) -> None:
    """Cancel a window (or end a running one now); kept in the record as cancelled."""
    window = db.session.get(MaintenanceWindow, window_id)
    if (
        window is None
        or window.cancelled_at is not None
        or window.authority_id not in (None, admin.authority_id)
    ):
        raise NotFound()
    before = _view(window)
    window.cancelled_at = utcnow()
    record_change(
        "maintenance.cancelled",
        "maintenance_window",
        window.id,
        authority_id=admin.authority_id,
        before=before,
        after=_view(window),
    )


def announced_windows(authority_code: str | None = None) -> sa.Select:
    """Windows running now or still to come, soonest first."""
    from app.authorities.models import Authority

    query = sa.select(MaintenanceWindow).where(
        MaintenanceWindow.ends_at > utcnow(), MaintenanceWindow.cancelled_at.is_(None)
    )
    if authority_code:
        query = query.outerjoin(Authority).where(
            sa.or_(
                MaintenanceWindow.authority_id.is_(None), Authority.code == authority_code.upper()
            )
        )
    return query.order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)


def active_window(authority_id: int | None, at: datetime | None = None) -> MaintenanceWindow | None:
    """The window in force now for `authority_id` (windows for all authorities count too)."""
    return _for_authority(windows_in_force(at or utcnow()), authority_id)


def _for_authority(
    windows: list[MaintenanceWindow], authority_id: int | None
) -> MaintenanceWindow | None:
    return next((w for w in windows if w.authority_id in (None, authority_id)), None)


def windows_in_force(at: datetime) -> list[MaintenanceWindow]:
    """Every window in force at `at`, for any authority, the one ending last first."""
    return list(
        db.session.scalars(
            sa.select(MaintenanceWindow)
            .where(
                MaintenanceWindow.starts_at <= at,
                MaintenanceWindow.ends_at > at,
                MaintenanceWindow.cancelled_at.is_(None),
            )
            .order_by(MaintenanceWindow.ends_at.desc(), MaintenanceWindow.id)
        )
    )


_IN_FORCE = "maintenance_windows_in_force"


def _window_for_this_request(authority_id: int | None) -> MaintenanceWindow | None:
    """`active_window(authority_id)`, from the windows in force read once per request: the
    request hook (the caller's authority) and the tenancy rule (the record's) both ask, and a
    write is one read of the windows, not one per question."""
    if not has_request_context():
        return active_window(authority_id)
    windows = g.get(_IN_FORCE)
    if windows is None:
        windows = windows_in_force(utcnow())
        setattr(g, _IN_FORCE, windows)
    return _for_authority(windows, authority_id)


SUSPENDED_TITLE = lazy_gettext("Under maintenance")


def refuse_writes_during_maintenance(authority_id: int | None) -> None:
    """Raise 503 with Retry-After and the announced message when a window is on.

    Called for every write by the request hook with the caller's authority (staff), by the
    tenancy rule `app.access.role_on_record` for an applicant's write on an authority's record,
    and where a write creates an authority's record (an application, a refund). The system's own
    steps (jobs) are not writes of a request and go on. The windows are read once per request.
    """
    window = _window_for_this_request(authority_id)
    if window is None:
        return
    retry_after = max(int((window.ends_at - utcnow()).total_seconds()) + 1, 1)
    message = window.message_ar if current_language() == "ar" else window.message_en
    problem = ServiceUnavailable(
        code="maintenance",
        detail=message,
        headers={"Retry-After": str(retry_after)},
        extra={"ends_at": window.ends_at.isoformat()},
    )
    problem.title = SUSPENDED_TITLE
    raise problem


def _view(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "authority_id": window.authority_id,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "cancelled_at": window.cancelled_at.isoformat() if window.cancelled_at else None,
    }
