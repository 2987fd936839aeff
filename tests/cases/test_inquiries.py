"""An inquiry without an account: filed with a contact, offered the FAQ search, answered by
staff, the answer sent to the contact and readable with the secret token only."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.notifications.models import Notification
from tests.cases.helpers import act, error_fields, file, read
from tests.factories import applicant_headers, staff_headers

INQUIRY = {
    "authority": "NBG",
    "subject": "Opening hours of the municipality office in Sohar",
    "description": "What are the opening hours of the Sohar office during Ramadan?",
}


def test_an_anonymous_inquiry_is_answered_and_read_with_its_token(app, client):
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    contact = {"name": "Aisha Al Balushi", "email": "aisha@example.om"}
    filed = file(client, {}, "inquiries", {**INQUIRY, "contact": contact})
    reference, token = filed["reference"], filed["token"]
    assert filed["kind"] == "inquiry" and filed["person"] is None
    assert filed["contact"] == {
        "name": "Aisha Al Balushi",
        "email": "aisha@example.om",
        "phone": None,
    }
    assert token and len(token) >= 32
    assert filed["faq_search"] == (
        "/api/v1/faq?q=Opening%20hours%20of%20the%20municipality%20office%20in%20Sohar"
    )

    before = client.get(f"/api/v1/inquiries/{reference}", query_string={"token": token})
    assert before.status_code == 200 and before.get_json()["answer"] is None
    answer = "Sunday to Thursday, 9:00 to 14:00 during Ramadan."
    assert act(client, desk, filed["id"], "answer", answer=answer)["state"] == "answered"

    shown = client.get(f"/api/v1/inquiries/{reference}", query_string={"token": token})
    assert shown.status_code == 200
    assert (shown.get_json()["state"], shown.get_json()["answer"]) == ("answered", answer)
    assert client.get(f"/api/v1/inquiries/{reference}").status_code == 404
    wrong = client.get(f"/api/v1/inquiries/{reference}", query_string={"token": "x" * 32})
    assert wrong.status_code == 404

    # The answer went to the e-mail the contact gave, and only there (no phone, no inbox).
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.event, Notification.channel, User.email, User.is_active)
            .join(User, User.id == Notification.user_id)
            .where(Notification.subject_id == reference)
            .order_by(Notification.id)
        ).all()
    assert [(e, str(c), m, a) for e, c, m, a in rows] == [
        ("case_received", "email", "aisha@example.om", False),
        ("case_answered", "email", "aisha@example.om", False),
    ]


def test_an_anonymous_inquiry_needs_a_contact_to_answer(app, client):
    response = client.post("/api/v1/inquiries", json=INQUIRY)
    assert response.status_code == 422 and error_fields(response) == {"contact"}
    nowhere = {**INQUIRY, "contact": {"name": "Said"}}
    response = client.post("/api/v1/inquiries", json=nowhere)
    assert response.status_code == 422 and error_fields(response) == {"contact"}


def test_an_inquiry_with_an_account_is_the_account_holders(app, client):
    user, mine = applicant_headers(client)
    filed = file(client, mine, "inquiries", INQUIRY)
    assert filed["person"]["id"] == user["id"] and filed["token"] is None
    assert read(client, mine, filed["id"]).status_code == 200
    # No token was made: the token path does not open an account's inquiry.
    assert client.get(f"/api/v1/inquiries/{filed['reference']}?token=abc").status_code == 404


def test_the_inquiry_form_is_rate_limited_per_address(app):
    from app.view_marks import view_handler

    view = app.view_functions["cases.Inquiries"]
    # The registration budget per address (RATE_LIMIT_REGISTER_PER_ADDRESS), no captcha.
    assert getattr(view_handler(view, "POST"), "_rate_limit_group", None) == "register"
