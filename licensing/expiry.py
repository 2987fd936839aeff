"""Unpaid applications lapse: licensing's rule, with payments' part told by domain events.

The daily sweep (`report_overdue_applications`) finds the applications that have waited for
their fee longer than `UNPAID_EXPIRY_DAYS` and publishes `application.payment_overdue` for each.
Payments answers it: it closes the application's open payments (cancelling at the gateway with
no transaction open), and when nothing was paid it publishes `payment.window_closed`, on which
`expire_unpaid` (through `licensing.subscribers`) cancels the application and tells the
applicant. A payment that turns out paid ends as `payment.succeeded` instead.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import current_app

from app.events import publish
from app.extensions import db
from app.notifications.services import notify
from app.timeutil import utcnow
from app.workflow import SYSTEM, fire
from licensing.lifecycle import State
from licensing.models import Application

log = logging.getLogger(__name__)
OVERDUE = "application.payment_overdue"


def report_overdue_applications() -> int:
    """Periodic: publish `application.payment_overdue` for every application waiting for its fee
    longer than UNPAID_EXPIRY_DAYS since it was submitted, in the job's unit of work. Returns how
    many. An application still waiting the next day is reported again: that is the retry of a
    closing payments could not finish (the gateway was down, a payment was being paid)."""
    cutoff = utcnow() - dt.timedelta(days=current_app.config["UNPAID_EXPIRY_DAYS"])
    overdue = db.session.scalars(
        sa.select(Application.id)
        .where(Application.state == State.PAYMENT_PENDING, Application.submitted_at < cutoff)
        .order_by(Application.id)
    ).all()
    for application_id in overdue:
        publish(OVERDUE, application_id=application_id)
    if overdue:
        log.info("unpaid applications overdue", extra={"count": len(overdue)})
    return len(overdue)


def expire_unpaid(application_id: int) -> bool:
    """The payment window closed with nothing paid: the application (if still waiting for its
    fee) is cancelled by the `expire_unpaid` step and the applicant gets `payment_expired`, in
    the caller's unit of work. True if it expired now; an application that has moved on (paid,
    withdrawn, already expired) is left alone, so a repeat changes nothing."""
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id).with_for_update()
    )
    if application is None or application.state != State.PAYMENT_PENDING:
        return False
    fire(application, "expire_unpaid", SYSTEM)
    notify(
        application.applicant,
        "payment_expired",
        {
            "reference": application.reference,
            "service_ar": application.service.name_ar,
            "service_en": application.service.name_en,
        },
        subject=("application", application.reference),
        authority_id=application.authority_id,
    )
    return True
