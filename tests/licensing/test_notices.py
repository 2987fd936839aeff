"""Every stage of an application tells the applicant, in SMS, e-mail and in-app."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Channel, Notification
from app.notifications.sms_text import sms_parts
from licensing.models import Licence
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, pay, put_in_state, upload_mandatory


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
    pay(app, app_id)  # paid: straight into review
    _ok(act(client, inspector, app_id, "schedule_inspection", inspection_date="2030-01-06"))
    _ok(act(client, inspector, app_id, "record_inspection", note="Premises conform"))
    _ok(act(client, inspector, app_id, "request_info", note="Send the signed copy"))
    _ok(act(client, applicant_h, app_id, "answer", note="Attached"))
    _ok(act(client, inspector, app_id, "approve"))
    number = _ok(act(client, head, app_id, "issue"))["licence_number"]
    assert _events(app, applicant["id"]) == [
        "payment_due",
        "submitted",
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
        put_in_state(cancelled["id"], "in_review")  # set-up
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


def test_a_long_rejection_reason_is_cut_in_the_sms_and_whole_in_the_email(app, client):
    reason_en = "The submitted plan does not match the plot boundaries. " * 36
    reason_ar = "المخطط المقدم لا يطابق حدود قطعة الأرض المسجلة. " * 40
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    for language in ("en", "ar"):
        applicant, applicant_h = applicant_headers(client, preferred_language=language)
        created = client.post("/api/v1/leases", json=LEASE, headers=applicant_h).get_json()
        with app.app_context():
            put_in_state(created["id"], "in_review")  # set-up
            db.session.commit()
        rejected = act(
            client,
            inspector,
            created["id"],
            "reject",
            reason_ar=reason_ar[:2000],
            reason_en=reason_en[:2000],
        )
        assert rejected.status_code == 200, rejected.get_json()
        with app.app_context():
            rows = {
                n.channel: n
                for n in db.session.scalars(
                    sa.select(Notification).where(Notification.user_id == applicant["id"])
                )
            }
        sms, email = rows[Channel.SMS], rows[Channel.EMAIL]
        assert sms.sms_parts == sms_parts(sms.body_text) == 2, (language, sms.body_text)
        assert created["reference"] in sms.body_text
        full = (reason_ar if language == "ar" else reason_en)[:2000].strip()
        assert full in email.body_text


def test_the_delivery_log_finds_an_applications_notices_by_id_or_reference(app, client):
    _, applicant_h = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, other_authority = staff_headers(app, client, "inspector", "ABG")
    created = client.post("/api/v1/leases", json=LEASE, headers=applicant_h).get_json()
    upload_mandatory(app, client, applicant_h, created["id"])
    _ok(act(client, applicant_h, created["id"], "submit"))
    pay(app, created["id"])

    by_id = client.get(
        f"/api/v1/notifications/log?subject=application:{created['id']}", headers=inspector
    )
    by_reference = client.get(
        f"/api/v1/notifications/log?subject=application:{created['reference']}", headers=inspector
    )
    assert by_id.status_code == by_reference.status_code == 200
    rows = by_id.get_json()
    assert [r["id"] for r in rows] == [r["id"] for r in by_reference.get_json()]
    assert sorted({(r["event"], r["channel"]) for r in rows}) == sorted(
        (event, channel)
        for event in ("payment_due", "submitted")
        for channel in ("email", "in_app", "sms")
    )
    assert all(r["subject_id"] == created["reference"] for r in rows)
    elsewhere = client.get(
        f"/api/v1/notifications/log?subject=application:{created['id']}", headers=other_authority
    )
    assert elsewhere.status_code == 200 and elsewhere.get_json() == []
