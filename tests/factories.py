"""Build valid objects in one line: applicants, staff, tokens."""

from __future__ import annotations

import itertools
from typing import Any

from app import uow
from app.accounts.services import create_staff_account
from app.authorities.models import Authority
from app.extensions import db

_counter = itertools.count(1)
PASSWORD = "correct horse 42"


def applicant_data(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    data = {
        "civil_id": f"{10000000 + n}",
        "name": f"Applicant Number {n}",
        "email": f"applicant{n}@example.om",
        "phone": f"+9689{n:07d}",
        "password": PASSWORD,
        "preferred_language": "en",
    }
    data.update(overrides)
    return data


def business_data(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    return applicant_data(cr_number=f"{1000000 + n}", trade_name=f"Trading LLC {n}", **overrides)


def register(client, **overrides: Any) -> dict[str, Any]:
    data = applicant_data(**overrides)
    response = client.post("/api/v1/auth/register", json=data)
    assert response.status_code == 201, response.get_json()
    return {**data, **response.get_json()}


def login(client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


def applicant_headers(client, **overrides: Any) -> tuple[dict[str, Any], dict[str, str]]:
    user = register(client, **overrides)
    return user, bearer(login(client, user["email"]))


def make_staff(app, role: str, authority: str = "NBG", department: str = "licensing", **overrides):
    """A staff account made through the same service the admin API and CLI use."""
    data = applicant_data(role=role, department=department, **overrides)
    data.pop("preferred_language")
    with app.app_context(), uow.transaction():
        found = db.session.scalar(db.select(Authority).filter_by(code=authority))
        user = create_staff_account(found.id, data, "en")
        return {**data, "id": user.id}


def staff_headers(app, client, role: str, authority: str = "NBG", **overrides):
    staff = make_staff(app, role, authority, **overrides)
    return staff, bearer(login(client, staff["email"]))


def add_placeholder_documents(application, key_prefix: str = "bench") -> None:
    """Every document the application's service asks for, as rows pointing at no real file
    (enough for `submit`'s check; for benches that make applications by the thousand)."""
    from licensing.models import Document

    for n, document in enumerate(application.service.required_documents):
        db.session.add(
            Document(
                application_id=application.id,
                owner_id=application.applicant_id,
                authority_id=application.authority_id,
                document_code=document.code,
                filename="x.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                storage_key=f"{key_prefix}-{application.id}-{n}.pdf",
            )
        )
