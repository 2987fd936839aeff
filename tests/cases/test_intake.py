"""Staff file for a caller or a walk-in: the channel and the filer are recorded, and the person
gets the same notices."""

from __future__ import annotations

from tests.cases.helpers import COMPLAINT, act, audit_actions, error_fields, file, notices, read
from tests.factories import applicant_headers, staff_headers


def test_a_walk_in_complaint_records_its_channel_and_filer(app, client):
    clerk_user, clerk = staff_headers(
        app, client, "inspector", "NBG", department="customer_service"
    )
    walk_in = {"name": "Hamad Al Shukaili", "phone": "+96892000111"}
    filed = file(
        client, clerk, "complaints", {**COMPLAINT, "channel": "counter", "contact": walk_in}
    )
    assert filed["channel"] == "counter"
    assert filed["filed_by"] == {"id": clerk_user["id"], "name": clerk_user["name"]}
    assert filed["person"] is None and filed["contact"]["name"] == "Hamad Al Shukaili"
    assert read(client, clerk, filed["id"]).status_code == 200
    # No account: a token, handed to the walk-in, reads the answer; SMS to the phone given.
    assert filed["token"]
    shown = client.get(f"/api/v1/inquiries/{filed['reference']}?token={filed['token']}")
    assert shown.status_code == 200 and shown.get_json()["state"] == "received"
    with app.app_context():
        from app.audit.models import AuditEntry
        from app.extensions import db

        received = db.session.scalar(
            db.select(AuditEntry).where(
                AuditEntry.subject_id == filed["reference"], AuditEntry.action == "case.received"
            )
        )
        assert received.after["channel"] == "counter"
        assert received.after["filed_by"] == clerk_user["id"]
    assert audit_actions(app, filed["reference"])[0][0] == "case.received"


def test_a_phone_call_for_an_account_sends_the_account_the_notices(app, client):
    caller, mine = applicant_headers(client)
    _, clerk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    filed = file(
        client,
        clerk,
        "tickets",
        {
            "authority": "NBG",
            "subject": "Cannot sign in",
            "description": "The portal refuses my password.",
            "channel": "phone",
            "person_id": caller["id"],
        },
    )
    assert filed["person"]["id"] == caller["id"] and filed["channel"] == "phone"
    assert {c for _, c in notices(app, caller["id"], "case_received")} == {"email", "sms", "in_app"}
    assert read(client, mine, filed["id"]).status_code == 200  # the caller follows it online
    _, it_staff = staff_headers(app, client, "inspector", "NBG", department="it")
    act(client, it_staff, filed["id"], "answer", answer="Password reset link sent.")
    assert ("case_answered", "in_app") in notices(app, caller["id"], "case_answered")


def test_staff_file_for_their_own_authority_and_a_named_person(app, client):
    _, clerk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    response = client.post(
        "/api/v1/complaints",
        json={**COMPLAINT, "authority": "ABG", "channel": "phone"},
        headers=clerk,
    )
    assert response.status_code == 422 and error_fields(response) == {"authority"}
    response = client.post(
        "/api/v1/complaints", json={**COMPLAINT, "channel": "phone"}, headers=clerk
    )
    assert response.status_code == 422 and error_fields(response) == {"contact"}


def test_the_notices_are_in_the_persons_language(app, client):
    import sqlalchemy as sa

    from app.extensions import db
    from app.notifications.models import Notification

    person, mine = applicant_headers(client, preferred_language="ar")
    file(client, mine, "complaints", COMPLAINT)
    with app.app_context():
        titles = set(
            db.session.scalars(
                sa.select(Notification.title).where(Notification.user_id == person["id"])
            )
        )
    [title] = titles
    assert title.startswith("تم استلام شكوى رقم NBG-CASE-")


def test_an_incident_in_the_future_is_refused(app, client, clock):
    clock.set(2026, 12, 6, 9)
    _, mine = applicant_headers(client)
    ahead = {**COMPLAINT, "incident_at": "2026-12-07T10:00:00"}
    response = client.post("/api/v1/complaints", json=ahead, headers=mine)
    assert response.status_code == 422 and error_fields(response) == {"incident_at"}
