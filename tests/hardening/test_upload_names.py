"""Upload names are taken as the client sent them: folders, controls and direction controls
are 422; a file over DOCUMENT_MAX_BYTES is `file_too_large`, only a far larger request
`payload_too_large`. Application documents and refund evidence alike."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from licensing.models import Document
from tests.factories import applicant_headers
from tests.licensing.helpers import LEASE, PDF, PNG, upload


@pytest.fixture
def draft(app, client):
    _, headers = applicant_headers(client)
    created = client.post("/api/v1/leases", json=LEASE, headers=headers).get_json()
    return created["id"], headers


def _raw_upload(client, headers, path, field, filename, content=PDF):
    """A multipart body written byte for byte, as a browser sends a name with a backslash."""
    body = (
        b"--XX\r\n"
        b'Content-Disposition: form-data; name="' + field.encode() + b'"'
        b"\r\n\r\nlease_contract\r\n--XX\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename.encode() + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n--XX--\r\n"
    )
    return client.post(
        path, data=body, content_type="multipart/form-data; boundary=XX", headers=headers
    )


def _documents(app):
    with app.app_context():
        return db.session.scalars(sa.select(Document.filename)).all()


def test_a_backslash_in_a_file_name_is_a_folder(app, client, draft):
    application_id, headers = draft
    path = f"/api/v1/applications/{application_id}/documents"
    response = _raw_upload(client, headers, path, "document_code", "a\\b.pdf")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "file"
    assert _documents(app) == []


@pytest.mark.parametrize(
    "name",
    ["invoice\u202egnp.pdf", "\u2066a.pdf", "a\u200f.pdf", "a\x07.pdf", "../a.pdf", "c:/x/a.pdf"],
)
def test_direction_controls_folders_and_controls_in_a_file_name_are_422(app, client, draft, name):
    application_id, headers = draft
    response = upload(client, headers, application_id, "lease_contract", PDF, name)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "file"
    assert _documents(app) == []


def test_an_arabic_file_name_is_kept_as_given(app, client, draft):
    application_id, headers = draft
    response = upload(client, headers, application_id, "lease_contract", PDF, "عقد الإيجار.pdf")
    assert response.status_code == 201
    assert _documents(app) == ["عقد الإيجار.pdf"]


def test_refund_evidence_names_are_checked_the_same_way(client):
    _, headers = applicant_headers(client)
    for name in ("a\\b.pdf", "invoice\u202egnp.pdf"):
        response = _raw_upload(client, headers, "/api/v1/refunds/1/files", "kind", name)
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["errors"][0]["field"] == "file"


def test_a_form_field_name_with_a_control_character_is_422(client, draft):
    application_id, headers = draft
    path = f"/api/v1/applications/{application_id}/documents"
    response = _raw_upload(client, headers, path, "document\x01code", "a.pdf")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "document\\u0001code"


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
def test_a_form_part_without_a_name_is_answered_not_a_500(client, draft, who):
    """Found by make fuzz: a part with no `name` reached the edge check as None (500)."""
    application_id, headers = draft
    body = b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--XyZ--\r\n"
    response = client.post(
        f"/api/v1/applications/{application_id}/documents",
        data=body,
        content_type="multipart/form-data; boundary=XyZ",
        headers=headers if who == "applicant" else {},
    )
    assert response.status_code == (422 if who == "applicant" else 401), response.get_json()
    assert response.mimetype == "application/problem+json"


def test_an_eleven_megabyte_file_is_file_too_large(app, client, draft):
    application_id, headers = draft
    assert app.config["DOCUMENT_MAX_BYTES"] == 10 * 1024 * 1024
    eleven = PDF + b"0" * (11 * 1024 * 1024)
    response = upload(client, headers, application_id, "lease_contract", eleven)
    assert response.status_code == 413 and response.get_json()["code"] == "file_too_large"


def test_only_a_request_over_twice_the_limit_is_payload_too_large(app, client, draft):
    application_id, headers = draft
    app.config["DOCUMENT_MAX_BYTES"] = 10_000
    try:
        twice = PNG + b"0" * 20_000
        near = upload(client, headers, application_id, "lease_contract", twice, "a.png")
        assert near.status_code == 413 and near.get_json()["code"] == "file_too_large"
        far = upload(client, headers, application_id, "lease_contract", PNG + b"0" * 90_000)
        assert far.status_code == 413 and far.get_json()["code"] == "payload_too_large"
    finally:
        app.config["DOCUMENT_MAX_BYTES"] = 10 * 1024 * 1024


def test_a_multipart_body_to_a_view_that_takes_json_is_415(client):
    response = client.post(
        "/api/v1/auth/login",
        data={"email": "a@x.om", "file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415
