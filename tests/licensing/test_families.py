"""Each family end to end: register, pay, review, inspect, ask, answer, approve, issue — then renew,
amend and cancel the issued record."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.notifications.models import Notification
from licensing.models import Licence, LicenceRevision
from tests.factories import staff_headers
from tests.licensing.helpers import FAMILIES, act, family_applicant, pay, upload_mandatory


def _ok(response, status=200):
    assert response.status_code == status, response.get_json().get("errors", response.get_json())
    return response.get_json()


def _walk_to_issue(app, client, applicant, inspector, head, application):
    app_id = application["id"]
    upload_mandatory(app, client, applicant, app_id)
    submitted = _ok(act(client, applicant, app_id, "submit"))
    steps = [e["action"] for e in submitted["timeline"]]
    if application["fee"] != "0.000":
        # draft → submitted → payment_pending: the clock waits for the fee
        assert steps[-2:] == ["submit", "request_payment"]
        assert (
            submitted["state"] == "payment_pending" and submitted["sla"]["state"] == "not_started"
        )
        pay(app, app_id)  # paid: straight into review
        state = _ok(client.get(f"/api/v1/applications/{app_id}", headers=applicant))
        assert state["state"] == "in_review"
    else:
        assert steps[-1] == "submit" and submitted["state"] == "submitted"
        state = _ok(act(client, inspector, app_id, "start_review"))
    assert state["sla"]["state"] in ("on_track", "at_risk") and state["sla"]["due_date"]
    _ok(act(client, inspector, app_id, "schedule_inspection", inspection_date="2030-01-06"))
    _ok(act(client, inspector, app_id, "record_inspection", note="Premises conform"))
    asked = _ok(act(client, inspector, app_id, "request_info", note="Send the signed copy"))
    assert asked["state"] == "info_requested" and asked["sla"]["paused"] is True
    answered = _ok(act(client, applicant, app_id, "answer", note="Signed copy attached"))
    assert answered["state"] == "in_review" and answered["sla"]["paused"] is False
    approved = _ok(act(client, inspector, app_id, "approve"))
    assert approved["sla"]["state"] in ("met", "breached")
    issued = _ok(act(client, head, app_id, "issue"))
    assert issued["state"] == "issued" and issued["licence_number"]
    return issued


@pytest.mark.parametrize("segment", sorted(FAMILIES))
def test_family_end_to_end(app, client, segment):
    applicant, applicant_h = family_applicant(client, FAMILIES[segment])
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, head = staff_headers(app, client, "department_head", "NBG")

    created = _ok(
        client.post(f"/api/v1/{segment}", json=FAMILIES[segment], headers=applicant_h), 201
    )
    assert created["state"] == "draft" and created["action"] == "register"
    issued = _walk_to_issue(app, client, applicant_h, inspector, head, created)
    number = issued["licence_number"]
    timeline = [e["action"] for e in issued["timeline"]]
    assert timeline[:2] == ["create", "submit"] and timeline[-1] == "issue"

    licence = _ok(client.get(f"/api/v1/licences/{number}", headers=applicant_h))
    assert licence["state"] == "active" and licence["holder"]["id"] == applicant["id"]
    assert app.extensions["jobs"].drain(30)
    pdf = client.get(f"/api/v1/licences/{number}/document", headers=applicant_h)
    assert (
        pdf.status_code == 200
        and pdf.mimetype == "application/pdf"
        and pdf.data.startswith(b"%PDF")
    )
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert number in text and created["service"]["name_en"] in text
    assert (
        hashlib.sha256(pdf.data).hexdigest()
        == _ok(client.get(f"/api/v1/licences/{number}", headers=applicant_h))["document_sha256"]
    )

    # Renewal is only open in the 60 days before expiry (or after): move the expiry close.
    early = client.post(f"/api/v1/{segment}/{number}/renewal", json={}, headers=applicant_h)
    assert early.status_code == 409 and early.get_json()["code"] == "renewal_too_early"
    with app.app_context():
        row = db.session.scalar(sa.select(Licence).where(Licence.number == number))
        old_until = row.valid_until = sa.func.current_date()  # expires today
        db.session.commit()
        old_until = db.session.scalar(
            sa.select(Licence.valid_until).where(Licence.number == number)
        )
    renewal = _ok(
        client.post(f"/api/v1/{segment}/{number}/renewal", json={}, headers=applicant_h), 201
    )
    assert renewal["action"] == "renew"
    _walk_to_issue(app, client, applicant_h, inspector, head, renewal)
    renewed = _ok(client.get(f"/api/v1/licences/{number}", headers=applicant_h))
    assert renewed["valid_until"] > old_until.isoformat()

    changes = {k: v for k, v in FAMILIES[segment].items() if k != "authority"}
    field, value = next(
        (k, v) for k, v in changes.items() if isinstance(v, str) and not k.endswith("date")
    )
    new_value = (
        value + " 2"
        if field
        not in (
            "landlord_civil_id",
            "tenant_civil_id",
            "holder_civil_id",
            "establishment_cr",
            "cr_number",
            "use",
            "land_use",
            "sign_type",
            "plate_number",
        )
        else value
    )
    amendment = _ok(
        client.post(
            f"/api/v1/{segment}/{number}/amendment",
            json={"changes": {field: new_value}},
            headers=applicant_h,
        ),
        201,
    )
    _walk_to_issue(app, client, applicant_h, inspector, head, amendment)
    amended = _ok(client.get(f"/api/v1/licences/{number}", headers=applicant_h))
    assert amended["details"][field] == new_value

    cancel = client.post(
        f"/api/v1/{segment}/{number}/cancellation", json={"reason": "Closed"}, headers=applicant_h
    )
    if (
        segment == "building-permits"
    ):  # the published catalogue has no cancellation of a building permit
        assert cancel.status_code == 422 and cancel.get_json()["errors"][0]["field"] == "authority"
        expected_revisions = ["renew", "amend"]
    else:
        _walk_to_issue(app, client, applicant_h, inspector, head, _ok(cancel, 201))
        assert (
            _ok(client.get(f"/api/v1/licences/{number}", headers=applicant_h))["state"]
            == "cancelled"
        )
        expected_revisions = ["renew", "amend", "cancel"]

    with app.app_context():
        licence_id = db.session.scalar(sa.select(Licence.id).where(Licence.number == number))
        revisions = db.session.scalars(
            sa.select(LicenceRevision)
            .where(LicenceRevision.licence_id == licence_id)
            .order_by(LicenceRevision.id)
        ).all()
        assert [r.action for r in revisions] == expected_revisions
        amend = revisions[1]
        assert (
            amend.before["details"][field] == value and amend.after["details"][field] == new_value
        )
        events = set(
            db.session.scalars(
                sa.select(Notification.event).where(Notification.user_id == applicant["id"])
            )
        )
    assert {
        "submitted",
        "inspection_scheduled",
        "info_requested",
        "approved",
        "licence_issued",
    } <= events
