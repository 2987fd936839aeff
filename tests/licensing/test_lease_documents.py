"""A lease's money and personal data where it leaves us: the API gives amounts as three-decimal
strings, the licence PDF masks every civil ID, the licence and its notices carry the
verification URL."""

from __future__ import annotations

import io

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.notifications.models import Channel, Notification
from licensing.models import Application, Licence
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE
from tests.licensing.test_families import _ok, _walk_to_issue

BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL's default


def _issued_lease(app, client, **changes):
    applicant, applicant_h = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, head = staff_headers(app, client, "department_head", "NBG")
    created = _ok(
        client.post("/api/v1/leases", json={**LEASE, **changes}, headers=applicant_h), 201
    )
    issued = _walk_to_issue(app, client, applicant_h, inspector, head, created)
    assert app.extensions["jobs"].drain(30)
    return applicant, applicant_h, created, issued["licence_number"]


def test_the_monthly_rent_goes_in_as_rials_and_comes_out_with_three_decimals(app, client):
    _, headers = applicant_headers(client)
    for given, shown in (("350.000", "350.000"), ("350", "350.000"), ("1250.5", "1250.500")):
        created = _ok(
            client.post("/api/v1/leases", json={**LEASE, "monthly_rent": given}, headers=headers),
            201,
        )
        assert created["details"]["monthly_rent"] == shown
        again = _ok(client.get(f"/api/v1/applications/{created['id']}", headers=headers))
        assert again["details"]["monthly_rent"] == shown
        with app.app_context():
            stored = db.session.get(Application, created["id"]).details["monthly_rent"]
        assert stored == int(shown.replace(".", ""))  # baisa inside
    listed = client.get("/api/v1/applications", headers=headers).get_json()
    assert {a["details"]["monthly_rent"] for a in listed} == {"350.000", "1250.500"}
    for wrong in (350000, 350.5, "350.1234", "-5"):
        refused = client.post(
            "/api/v1/leases", json={**LEASE, "monthly_rent": wrong}, headers=headers
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.get_json()["errors"]] == ["monthly_rent"]


def test_the_licence_shows_the_rent_with_three_decimals_and_masks_every_civil_id(app, client):
    applicant, headers, _, number = _issued_lease(app, client)
    licence = _ok(client.get(f"/api/v1/licences/{number}", headers=headers))
    assert licence["details"]["monthly_rent"] == "350.000"
    assert licence["details"]["landlord_civil_id"] == "11112222"  # the holder's own record
    with app.app_context():
        code = db.session.scalar(
            sa.select(Licence.verification_code).where(Licence.number == number)
        )
    assert licence["verification_url"] == f"{BASE}/api/v1/licences/{number}/verify?code={code}"
    assert client.get(licence["verification_url"].removeprefix(BASE)).get_json()["valid"] is True

    pdf = client.get(f"/api/v1/licences/{number}/document", headers=headers).data
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for civil_id in ("11112222", "33334444", applicant["civil_id"]):
        assert civil_id not in text
    assert "•••••222" in text and "•••••444" in text  # as the holder's: all but the last three
    assert "350.000" in text and "350000" not in text


def test_an_amended_rent_is_shown_with_three_decimals(app, client):
    _, headers, _, number = _issued_lease(app, client)
    amended = _ok(
        client.post(
            f"/api/v1/leases/{number}/amendment",
            json={"changes": {"monthly_rent": "400"}},
            headers=headers,
        ),
        201,
    )
    assert amended["details"] == {"changes": {"monthly_rent": "400.000"}}


def test_the_licence_issued_notices_carry_the_verification_url(app, client):
    applicant, headers, _, number = _issued_lease(app, client)
    url = _ok(client.get(f"/api/v1/licences/{number}", headers=headers))["verification_url"]
    with app.app_context():
        notices = db.session.scalars(
            sa.select(Notification).where(
                Notification.user_id == applicant["id"], Notification.event == "licence_issued"
            )
        ).all()
        bodies = {n.channel: (n.body_text, n.body_html) for n in notices}
    assert url in bodies[Channel.SMS][0] and url in bodies[Channel.EMAIL][0]
    assert f'href="{url}"' in bodies[Channel.EMAIL][1]
    assert url in bodies[Channel.IN_APP][0]
