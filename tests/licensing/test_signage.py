"""Vehicle signage: the sign type decides the catalogue service (health or commercial signage),
at registration and for every later renewal, amendment and cancellation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from licensing.models import Application, Licence
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import SIGNAGE, act, put_in_state

SERVICE_STEM = {"health": "NBG-HEALTH-VEHSIGN", "commercial": "NBG-VEHSIGN"}


def _issued(app, client, applicant_h, head, sign_type) -> tuple[str, dict]:
    """A registered sign issued to the applicant, its expiry today so it can be renewed."""
    created = client.post(
        "/api/v1/vehicle-signage", json={**SIGNAGE, "sign_type": sign_type}, headers=applicant_h
    ).get_json()
    with app.app_context():
        put_in_state(created["id"], "approved")  # set-up: decided
        db.session.commit()
    issued = act(client, head, created["id"], "issue").get_json()
    with app.app_context():
        licence = db.session.scalar(
            sa.select(Licence).where(Licence.application_id == created["id"])
        )
        licence.valid_until = sa.func.current_date()
        db.session.commit()
    return issued["licence_number"], created


def _service_code(app, application_id) -> str:
    with app.app_context():
        return db.session.get(Application, application_id).service.code


@pytest.mark.parametrize("sign_type", ["health", "commercial"])
def test_the_sign_type_picks_the_service_for_every_step(app, client, sign_type):
    _, applicant_h = applicant_headers(client)
    _, head = staff_headers(app, client, "department_head", "NBG")
    stem = SERVICE_STEM[sign_type]

    number, registration = _issued(app, client, applicant_h, head, sign_type)
    assert _service_code(app, registration["id"]) == f"{stem}-REGISTER"
    with app.app_context():
        licence = db.session.scalar(sa.select(Licence).where(Licence.number == number))
        assert licence.service.code == f"{stem}-REGISTER"

    renewal = client.post(
        f"/api/v1/vehicle-signage/{number}/renewal",
        json={"details": {"sign_type": sign_type}},
        headers=applicant_h,
    )
    assert renewal.status_code == 201, renewal.get_json()
    assert _service_code(app, renewal.get_json()["id"]) == f"{stem}-RENEW"
    act(client, applicant_h, renewal.get_json()["id"], "withdraw")

    amendment = client.post(
        f"/api/v1/vehicle-signage/{number}/amendment",
        json={"changes": {"sign_width_cm": 150}},
        headers=applicant_h,
    )
    assert amendment.status_code == 201, amendment.get_json()
    assert _service_code(app, amendment.get_json()["id"]) == f"{stem}-AMEND"
    act(client, applicant_h, amendment.get_json()["id"], "withdraw")

    cancellation = client.post(
        f"/api/v1/vehicle-signage/{number}/cancellation", json={}, headers=applicant_h
    )
    assert cancellation.status_code == 201, cancellation.get_json()
    assert _service_code(app, cancellation.get_json()["id"]) == f"{stem}-CANCEL"


def test_a_service_of_the_other_sign_type_is_refused(app, client):
    _, applicant_h = applicant_headers(client)
    response = client.post(
        "/api/v1/vehicle-signage",
        json={**SIGNAGE, "sign_type": "commercial", "service": "NBG-HEALTH-VEHSIGN-REGISTER"},
        headers=applicant_h,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["service"]
    named = client.post(
        "/api/v1/vehicle-signage",
        json={**SIGNAGE, "sign_type": "health", "service": "NBG-HEALTH-VEHSIGN-REGISTER"},
        headers=applicant_h,
    )
    assert named.status_code == 201


def test_an_amendment_or_renewal_cannot_change_the_sign_type(app, client):
    _, applicant_h = applicant_headers(client)
    _, head = staff_headers(app, client, "department_head", "NBG")
    number, _ = _issued(app, client, applicant_h, head, "health")
    amendment = client.post(
        f"/api/v1/vehicle-signage/{number}/amendment",
        json={"changes": {"sign_type": "commercial"}},
        headers=applicant_h,
    )
    renewal = client.post(
        f"/api/v1/vehicle-signage/{number}/renewal",
        json={"details": {"sign_type": "commercial"}},
        headers=applicant_h,
    )
    assert amendment.status_code == 422 and renewal.status_code == 422
    assert amendment.get_json()["errors"][0]["field"] == "changes.sign_type"
    assert renewal.get_json()["errors"][0]["field"] == "details.sign_type"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 1
