"""Walking applications through their lifecycle in tests, the way clients do."""

from __future__ import annotations

import io

import sqlalchemy as sa

from app import uow
from app.extensions import db
from licensing.models import Application
from licensing.services import confirm_payment
from tests.factories import applicant_headers

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32

LEASE = {
    "authority": "NBG",
    "landlord_name": "Said Al Amri",
    "landlord_civil_id": "11112222",
    "tenant_name": "Muscat Trading LLC",
    "tenant_civil_id": "33334444",
    "property_reference": "SOH-PLOT-1123",
    "use": "commercial",
    "monthly_rent": "350.000",
    "start_date": "2026-12-01",
    "end_date": "2027-11-30",
}
HEALTH_CARD = {
    "authority": "NBG",
    "holder_civil_id": "55556666",
    "holder_name": "Ravi Kumar",
    "nationality": "India",
    "occupation": "Cook",
    "establishment_cr": "1234567",
    "medical_examination_reference": "MOH-2026-88",
}
SIGNAGE = {
    "authority": "NBG",
    "plate_number": "12345 AB",
    "sign_type": "commercial",
    "sign_width_cm": 120,
    "sign_height_cm": 40,
    "wording_ar": "مطعم البحر",
    "wording_en": "Sea Restaurant",
}
BUILDING = {
    "authority": "NBG",
    "plot_number": "SHN-774",
    "land_use": "residential",
    "floors": 2,
    "built_area_m2": 420,
    "consultant_licence_number": "ENG-5521",
    "drawings": ["Architectural", "Structural"],
}
MUNICIPAL = {
    "authority": "NBG",
    "cr_number": "7654321",
    "activity": "Restaurant",
    "premises_location": "Sohar, Falaj",
    "premises_area_m2": 120,
}
TEMPORARY = {**MUNICIPAL, "start_date": "2026-12-01", "end_date": "2027-02-28"}

FAMILIES = {
    "leases": LEASE,
    "health-cards": HEALTH_CARD,
    "vehicle-signage": SIGNAGE,
    "building-permits": BUILDING,
    "municipal-licences": MUNICIPAL,
    "temporary-licences": TEMPORARY,
}


def upload(client, headers, application_id, code, content=PDF, filename="document.pdf"):
    return client.post(
        f"/api/v1/applications/{application_id}/documents",
        data={"document_code": code, "file": (io.BytesIO(content), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def upload_mandatory(app, client, headers, application_id):
    with app.app_context():
        application = db.session.get(Application, application_id)
        codes = [d["code"] for d in application.required_documents if d["mandatory"]]
    for code in codes:
        response = upload(client, headers, application_id, code)
        assert response.status_code == 201, response.get_json()


def act(client, headers, application_id, action, **body):
    return client.post(
        f"/api/v1/applications/{application_id}/actions/{action}", json=body, headers=headers
    )


def pay(app, application_id):
    """What payment confirmation will do: the one function its subscriber calls, in a unit of
    work as the delivery job runs it."""
    with app.app_context():
        with uow.transaction():
            confirm_payment(application_id)
        db.session.remove()


def put_in_state(application_id, state) -> None:
    """Test set-up: put an application straight into `state`, as an SQL update (no workflow
    step: no timeline, audit or notice; `app.workflow` refuses an attribute write), in the
    caller's transaction."""
    db.session.execute(
        sa.update(Application).where(Application.id == application_id).values(state=str(state))
    )


def dumping_as(user_id: int | None) -> None:
    """In the current app context, let the schemas dump as they do in a request by `user_id`
    (staff see the staff-only fields of an application; None: no caller)."""
    from flask import g

    from app.accounts.models import User

    g.user = None if user_id is None else db.session.get(User, user_id)


def family_applicant(client, body: dict):
    """An applicant who may apply with `body`: the business account of its CR number when the
    family's details name one (licensing.business), anyone otherwise."""
    if "cr_number" in body:
        return applicant_headers(
            client, cr_number=body["cr_number"], trade_name=f"Trading {body['cr_number']} LLC"
        )
    return applicant_headers(client)
