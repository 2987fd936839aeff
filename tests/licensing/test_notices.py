"""Every stage of an application tells the applicant, in SMS, e-mail and in-app."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Channel, Notification
from licensing.models import Application, Licence
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, pay, upload_mandatory


def _events(app, user_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Notification.event)
                .where(Notification.user_id == user_id, Notification.channel == Channel.SMS)
                .order_by(Notification.id)
            )
        )


def _ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_stage_from_submission_to_issue_and_cancellation_tells_the_applicant(app, client):
    applicant, applicant_h = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, head = staff_headers(app, client, "department_head", "NBG")
    created = client.post("/api/v1/leases", json=LEASE, headers=applicant_h).get_json()
    app_id = created["id"]
    upload_mandatory(app, client, applicant_h, app_id)

    _ok(act(client, applicant_h, app_id, "submit"))
    pay(app, app_id)
    _ok(act(client, inspector, app_id, "start_review"))
    _ok(act(client, inspector, app_id, "schedule_inspection", inspection_date="2030-01-06"))
    _ok(act(client, inspector, app_id, "record_inspection", note="Premises conform"))
    _ok(act(client, inspector, app_id, "request_info", note="Send the signed copy"))
    _ok(act(client, applicant_h, app_id, "answer", note="Attached"))
    _ok(act(client, inspector, app_id, "approve"))
    number = _ok(act(client, head, app_id, "issue"))["licence_number"]
    assert _events(app, applicant["id"]) == [
        "payment_due",
        "submitted",
        "review_started",
        "inspection_scheduled",
        "inspection_recorded",
        "info_requested",
        "answer_received",
        "approved",
        "licence_issued",
    ]

    cancellation = client.post(
        f"/api/v1/leases/{number}/cancellation", json={"reason": "Closed"}, headers=applicant_h
    ).get_json()
    upload_mandatory(app, client, applicant_h, cancellation["id"])
    _ok(act(client, applicant_h, cancellation["id"], "submit"))
    _ok(act(client, inspector, cancellation["id"], "start_review"))
    _ok(act(client, inspector, cancellation["id"], "approve"))
    _ok(act(client, head, cancellation["id"], "issue"))
    assert _events(app, applicant["id"])[-4:] == [
        "submitted",
        "review_started",
        "approved",
        "licence_cancelled",
    ]
    with app.app_context():
        assert db.session.scalar(sa.select(Licence.state).where(Licence.number == number)) == (
            "cancelled"
        )
        told = db.session.scalars(
            sa.select(Notification).where(Notification.event == "licence_cancelled")
        ).all()
    assert {n.channel for n in told} == set(Channel)
    for notice in told:
        assert number in notice.body_text and "valid until" not in notice.body_text
        assert notice.channel != Channel.SMS or notice.sms_parts == 1


def test_withdrawal_and_cancellation_tell_the_applicant(app, client):
    applicant, applicant_h = applicant_headers(client)
    _, head = staff_headers(app, client, "department_head", "NBG")
    withdrawn = client.post("/api/v1/leases", json=LEASE, headers=applicant_h).get_json()
    cancelled = client.post("/api/v1/leases", json=LEASE, headers=applicant_h).get_json()
    with app.app_context():
        db.session.get(Application, cancelled["id"]).state = "in_review"  # set-up
        db.session.commit()

    _ok(act(client, applicant_h, withdrawn["id"], "withdraw"))
    _ok(act(client, head, cancelled["id"], "cancel", note="The plot is under dispute"))

    assert _events(app, applicant["id"]) == ["withdrawn", "application_cancelled"]
    with app.app_context():
        email = db.session.scalar(
            sa.select(Notification).where(
                Notification.event == "application_cancelled", Notification.channel == Channel.EMAIL
            )
        )
    assert "The plot is under dispute" in email.body_text
