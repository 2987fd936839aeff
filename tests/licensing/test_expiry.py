"""Licensing's side of payment and unpaid expiry, told by domain events: the daily sweep reports
overdue applications, the handlers confirm a paid application and expire an unpaid one, and a
handler run twice changes nothing the second time."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import uow
from app.audit import AuditEntry
from app.events import DomainEvent, subscribers
from app.extensions import db
from app.notifications.models import Notification
from app.timeutil import utcnow
from licensing.expiry import report_overdue_applications
from licensing.models import Application, ApplicationEvent
from licensing.subscribers import confirm_application_payment, expire_unpaid_application
from tests.factories import applicant_headers
from tests.licensing.helpers import LEASE, act, put_in_state, upload_mandatory


def _payment_pending(app, client) -> tuple[dict, int]:
    """An applicant with a lease application waiting for its fee (submitted through the API)."""
    user, headers = applicant_headers(client)
    created = client.post("/api/v1/leases", json=LEASE, headers=headers).get_json()
    upload_mandatory(app, client, headers, created["id"])
    assert act(client, headers, created["id"], "submit").get_json()["state"] == "payment_pending"
    return user, created["id"]


def _submitted_days_ago(application_id: int, days: int) -> None:
    db.session.execute(
        sa.update(Application)
        .where(Application.id == application_id)
        .values(submitted_at=utcnow() - dt.timedelta(days=days))
    )


def _what_it_left(app, application_id: int, user_id: int) -> tuple:
    """The application's state, its timeline steps, its audit rows and its applicant's notices."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        return (
            application.state,
            application.sla_started_at is not None,
            list(
                db.session.scalars(
                    sa.select(ApplicationEvent.action)
                    .where(ApplicationEvent.application_id == application_id)
                    .order_by(ApplicationEvent.id)
                )
            ),
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.subject_id == application.reference)
            ),
            sorted(
                db.session.scalars(
                    sa.select(Notification.event).where(Notification.user_id == user_id)
                )
            ),
        )


def test_the_handlers_are_subscribed(app):
    with app.app_context():
        assert "licensing.subscribers.confirm_application_payment" in subscribers(
            "payment.succeeded"
        )
        assert "licensing.subscribers.expire_unpaid_application" in subscribers(
            "payment.window_closed"
        )


def test_a_paid_application_moves_to_review_once(app, client):
    user, application_id = _payment_pending(app, client)
    before = _what_it_left(app, application_id, user["id"])
    for _ in range(2):  # a duplicate delivery
        with app.app_context(), uow.transaction():
            confirm_application_payment(payment_id=1, application_id=application_id)
        once = _what_it_left(app, application_id, user["id"])
        state, clock_started, steps, audits, notices = once
        assert (state, clock_started) == ("in_review", True)
        assert steps == ["create", "submit", "request_payment", "confirm_payment"]
        assert audits == before[3] + 1
        assert notices.count("submitted") == 3  # e-mail, SMS and in-app, once


def test_a_closed_window_expires_the_unpaid_application_once(app, client):
    user, application_id = _payment_pending(app, client)
    before = _what_it_left(app, application_id, user["id"])
    for _ in range(2):
        with app.app_context(), uow.transaction():
            expire_unpaid_application(application_id=application_id)
        state, _, steps, audits, notices = _what_it_left(app, application_id, user["id"])
        assert state == "cancelled"
        assert steps == ["create", "submit", "request_payment", "expire_unpaid"]
        assert audits == before[3] + 1
        assert notices.count("payment_expired") == 3


def test_a_closed_window_leaves_a_paid_application_alone(app, client):
    user, application_id = _payment_pending(app, client)
    with app.app_context(), uow.transaction():
        confirm_application_payment(payment_id=1, application_id=application_id)
    paid = _what_it_left(app, application_id, user["id"])
    with app.app_context(), uow.transaction():
        assert expire_unpaid_application(application_id=application_id) == "left as it is"
    assert _what_it_left(app, application_id, user["id"]) == paid


def test_the_sweep_reports_only_applications_overdue_for_their_fee(app, client):
    days = app.config["UNPAID_EXPIRY_DAYS"]  # the configured window (14 by default)
    _, overdue = _payment_pending(app, client)
    _, recent = _payment_pending(app, client)
    _, reviewed = _payment_pending(app, client)
    with app.app_context():
        _submitted_days_ago(overdue, days + 1)
        _submitted_days_ago(recent, days - 1)
        _submitted_days_ago(reviewed, 2 * days)
        put_in_state(reviewed, "in_review")  # set-up: paid long ago
        db.session.commit()
    with app.app_context(), uow.transaction():  # the job's unit of work
        assert report_overdue_applications() == 1
    with app.app_context():
        reported = db.session.scalars(
            sa.select(DomainEvent.payload).where(DomainEvent.name == "application.payment_overdue")
        ).all()
        assert reported == [{"application_id": overdue}]
