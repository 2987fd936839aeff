"""Services with no family blueprint (certificates, inspections, general requests) through the one
generic endpoint, from the draft to their completion; licences of a family are refused there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Channel, Notification
from licensing.models import Application, Licence
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import act, pay, upload_mandatory


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(
    "code",
    [
        "NBG-CERT-TO-WHOM-IT-MAY-CONCERN",  # a certificate with a fee
        "NBG-COMPLAINT",  # no fee
        "NBG-ADDRESS-ADD",  # a general service whose catalogue action is "register"
        "NBG-PLAN-APPROVAL",  # a one-off service of a licensing family
    ],
)
def test_a_generic_application_goes_from_draft_to_issued(app, client, code):
    applicant, applicant_h = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, head = staff_headers(app, client, "department_head", "NBG")

    created = _ok(
        client.post(
            "/api/v1/applications",
            json={"service": code, "details": {"purpose": "Bank account opening"}},
            headers=applicant_h,
        ),
        201,
    )
    app_id = created["id"]
    upload_mandatory(app, client, applicant_h, app_id)
    submitted = _ok(act(client, applicant_h, app_id, "submit"))
    if created["fee"] != "0.000":
        assert submitted["state"] == "payment_pending"
        pay(app, app_id)  # paid: straight into review
    else:
        assert submitted["state"] == "submitted"
        _ok(act(client, inspector, app_id, "start_review"))
    _ok(act(client, inspector, app_id, "approve"))
    issued = _ok(act(client, head, app_id, "issue"))

    assert issued["state"] == "issued" and issued["licence_number"] is None
    assert [e["action"] for e in issued["timeline"]][-2:] == ["approve", "issue"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Licence)) == 0
        completed = db.session.scalars(
            sa.select(Notification).where(
                Notification.user_id == applicant["id"],
                Notification.event == "application_completed",
            )
        ).all()
    assert {n.channel for n in completed} == set(Channel)
    assert all(created["reference"] in n.body_text for n in completed)


@pytest.mark.parametrize(
    ("code", "endpoint"),
    [
        ("NBG-LEASE-REGISTER", "/api/v1/leases"),
        ("NBG-HEALTHCARD-RENEW", "/api/v1/health-cards/{licence_number}/renewal"),
        ("NBG-VEHSIGN-AMEND", "/api/v1/vehicle-signage/{licence_number}/amendment"),
        ("NBG-MUNLICENCE-CANCEL", "/api/v1/municipal-licences/{licence_number}/cancellation"),
        ("NBG-MAJOR-BLDG-PERMIT-REGISTER", "/api/v1/building-permits"),
        ("ABG-WINTER-CAMP", "/api/v1/temporary-licences"),
    ],
)
def test_a_licence_of_a_family_is_refused_on_the_generic_endpoint(app, client, code, endpoint):
    _, applicant_h = applicant_headers(client)
    response = client.post(
        "/api/v1/applications",
        json={"service": code, "details": {}},
        headers={**applicant_h, "Accept-Language": "en"},
    )
    problem = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert problem["code"] == "use_family_endpoint" and problem["endpoint"] == endpoint
    assert endpoint in problem["detail"] and problem["errors"][0]["field"] == "service"
    arabic = client.post(
        "/api/v1/applications", json={"service": code, "details": {}}, headers=applicant_h
    ).get_json()
    assert endpoint in arabic["detail"] and arabic["detail"] != problem["detail"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 0
