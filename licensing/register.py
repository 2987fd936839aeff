"""The licence register: issuing, renewing, amending and cancelling licences, reminders, expiry."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.notifications.services import notify
from app.numbering import next_number
from app.timeutil import MUSCAT, utcnow
from app.workflow import SYSTEM, fire
from jobs import enqueue
from licensing.families.schemas import FAMILIES
from licensing.licence_lifecycle import LicenceState
from licensing.models import Application, Licence, LicenceRevision

log = logging.getLogger(__name__)

REMINDER_DAYS = (30, 7)
DEFAULT_VALIDITY_DAYS = 365
LICENCE_ACTIONS = frozenset({"register", "renew", "amend", "cancel"})


def _today() -> dt.date:
    return utcnow().astimezone(MUSCAT).date()


def validity(application: Application, start: dt.date) -> dt.date:
    """Until when a new or renewed licence is valid: a lease or temporary licence until its end
    date, others a year."""
    end = application.details.get("end_date")
    if application.family in ("lease", "temporary_licence") and end:
        return dt.date.fromisoformat(end)
    return start + dt.timedelta(days=DEFAULT_VALIDITY_DAYS - 1)


def verification_url(licence: Licence) -> str:
    """The public check of a licence (printed under its QR code, sent when it is issued)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/api/v1/licences/{licence.number}/verify?code={licence.verification_code}"


def keeps_register(family: str, action: str) -> bool:
    """Whether a service of this family and action is a licence in the register: the licensing
    families' register, renew, amend and cancel services (each with its family blueprint).
    Every other service (inspections, certificates, general requests, one-off services of a
    licensing family such as a plan approval) is completed by issuing, with no register entry."""
    return family in FAMILIES and action in LICENCE_ACTIONS


def write_register(application: Application, actor: Any) -> Licence:
    """Issuing an application of a register service (`keeps_register`) by `actor`: a new
    licence (issued active) for a registration; the licence changed for renew, amend, cancel
    (its state through the licence workflow, `licensing.licence_lifecycle`). Runs inside the
    issuing transaction; the licence document is rendered after commit."""
    if not keeps_register(application.family, application.action):
        raise ValueError(f"{application.reference} is not for a licence of the register")
    today = _today()
    if application.action == "register":
        year = today.year
        number = next_number(application.authority_id, "licence", year)
        licence = Licence(
            number=f"{application.authority.code}-L-{year}-{number:06d}",
            authority_id=application.authority_id,
            family=application.family,
            service_id=application.service_id,
            holder_id=application.applicant_id,
            application_id=application.id,
            details=dict(application.details),
            valid_from=today,
            valid_until=validity(application, today),
            state=LicenceState.ACTIVE,
            verification_code=secrets.token_urlsafe(12),
            reminders_sent=[],
        )
        db.session.add(licence)
        db.session.flush()
        application.licence_id = licence.id
        application.licence = licence
    else:
        licence = application.licence
        before = _snapshot(licence)
        if application.action == "renew":
            start = max(licence.valid_until + dt.timedelta(days=1), today)
            licence.valid_until = (
                validity(application, start)
                if application.details
                else start + dt.timedelta(days=DEFAULT_VALIDITY_DAYS - 1)
            )
            licence.details = {**licence.details, **application.details}
            fire(licence, "renew", actor)
            licence.reminders_sent = []
        elif application.action == "amend":
            licence.details = {**licence.details, **application.details.get("changes", {})}
        elif application.action == "cancel":
            fire(licence, "cancel", actor)
        db.session.add(
            LicenceRevision(
                licence_id=licence.id,
                application_id=application.id,
                action=application.action,
                before=before,
                after=_snapshot(licence),
            )
        )
    enqueue("licensing.documents.render_licence_document", licence.id, queue="default")
    return licence


def _snapshot(licence: Licence) -> dict[str, Any]:
    return {
        "details": dict(licence.details),
        "valid_until": licence.valid_until.isoformat(),
        "state": licence.state,
    }


def send_renewal_reminders() -> int:
    """Periodic: tell holders 30 and 7 days before expiry, once each."""
    today = _today()
    sent = 0
    horizon = today + dt.timedelta(days=max(REMINDER_DAYS))
    for licence in db.session.scalars(
        sa.select(Licence).where(
            Licence.state == LicenceState.ACTIVE,
            Licence.valid_until <= horizon,
            Licence.valid_until >= today,
        )
    ):
        days_left = (licence.valid_until - today).days
        due = [
            d for d in REMINDER_DAYS if days_left <= d and d not in (licence.reminders_sent or [])
        ]
        if not due:
            continue
        notify(
            licence.holder,
            "renewal_due",
            {
                "licence_number": licence.number,
                "expires_on": licence.valid_until.isoformat(),
                "days_left": days_left,
            },
            subject=("licence", licence.number),
            authority_id=licence.authority_id,
        )
        licence.reminders_sent = sorted({*(licence.reminders_sent or []), *due})
        sent += 1
    return sent


def expire_licences() -> int:
    """Periodic: licences past their last valid day become expired, one `expire` step of the
    licence workflow each (its audit row names the last valid day), in the job's unit of work.
    A licence another transaction holds is left for the next run."""
    expired = db.session.scalars(
        sa.select(Licence)
        .where(Licence.state == LicenceState.ACTIVE, Licence.valid_until < _today())
        .order_by(Licence.id)
        .with_for_update(skip_locked=True)
    ).all()
    for licence in expired:
        fire(licence, "expire", SYSTEM)
    return len(expired)
