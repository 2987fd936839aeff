"""Uploads are checked by their bytes, kept under our names, and shown only to who may see them."""

from __future__ import annotations

import pytest

from licensing.documents import DOCUMENT_UPLOAD_PROBLEMS
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import JPEG, LEASE, PDF, PNG, act, upload, upload_mandatory


@pytest.fixture
def draft(app, client):
    user, headers = applicant_headers(client)
    created = client.post(
        "/api/v1/leases", json=LEASE, headers={**headers, "Accept-Language": "en"}
    ).get_json()
    return created, headers


def test_accepted_files_are_kept_with_their_hash(app, client, draft):
    application, headers = draft
    response = upload(client, headers, application["id"], "lease_contract", PDF, "contract.pdf")
    assert response.status_code == 201
    body = response.get_json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    import hashlib

    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (
        upload(client, headers, application["id"], "title_deed", PNG, "deed.png").status_code == 201
    )
    assert (
        upload(client, headers, application["id"], "civil_id_copy", JPEG, "id.JPEG").status_code
        == 201
    )
    download = client.get(f"/api/v1/documents/{body['id']}", headers=headers)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "contract.pdf" not in download.headers["Content-Disposition"]  # our name, not theirs


@pytest.mark.parametrize(
    ("content", "filename", "status", "code"),
    [
        (PDF, "photo.png", 415, "file_type_mismatch"),
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "invoice.pdf", 415, "unsupported_file_type"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "scan.pdf", 415, "unsupported_file_type"),
        (PDF, "../../etc/passwd", 422, "validation_failed"),
        (b"", "empty.pdf", 422, "validation_failed"),
    ],
)
def test_bad_uploads_are_refused(app, client, draft, content, filename, status, code):
    application, headers = draft
    response = upload(
        client,
        {**headers, "Accept-Language": "en"},
        application["id"],
        "lease_contract",
        content,
        filename,
    )
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json" and response.get_json()["code"] == code
    assert (
        client.get(
            f"/api/v1/applications/{application['id']}/documents", headers=headers
        ).get_json()
        == []
    )


def test_oversize_files_are_refused(app, client, draft):
    application, headers = draft
    app.config["DOCUMENT_MAX_BYTES"] = 1000
    try:
        just_over = upload(client, headers, application["id"], "lease_contract", PDF + b"0" * 1000)
        assert just_over.status_code == 413 and just_over.get_json()["code"] == "file_too_large"
        far_over = upload(
            client, headers, application["id"], "lease_contract", PDF + b"0" * 200_000
        )
        assert far_over.status_code == 413 and far_over.get_json()["code"] == "payload_too_large"
    finally:
        app.config["DOCUMENT_MAX_BYTES"] = 10 * 1024 * 1024


def test_unknown_document_code_is_refused(app, client, draft):
    application, headers = draft
    response = upload(client, headers, application["id"], "passport_scan")
    assert (
        response.status_code == 422 and response.get_json()["errors"][0]["field"] == "document_code"
    )


def test_other_people_get_404_for_documents(app, client, draft):
    application, headers = draft
    document = upload(client, headers, application["id"], "lease_contract").get_json()
    _, stranger = applicant_headers(client)
    _, other_authority = staff_headers(app, client, "inspector", "ABG")
    _, same_authority = staff_headers(app, client, "inspector", "NBG")
    for outsider in (stranger, other_authority):
        assert (
            client.get(f"/api/v1/documents/{document['id']}", headers=outsider).status_code == 404
        )
        assert (
            client.get(
                f"/api/v1/applications/{application['id']}/documents", headers=outsider
            ).status_code
            == 404
        )
        assert (
            client.get(f"/api/v1/applications/{application['id']}", headers=outsider).status_code
            == 404
        )
    assert (
        client.get(f"/api/v1/documents/{document['id']}", headers=same_authority).status_code == 200
    )


def test_submission_names_the_missing_documents(app, client, draft):
    application, headers = draft
    upload(client, headers, application["id"], "lease_contract")
    response = act(client, {**headers, "Accept-Language": "en"}, application["id"], "submit")
    assert response.status_code == 409 and response.get_json()["code"] == "documents_missing"
    assert {m["code"] for m in response.get_json()["missing"]} == {"civil_id_copy", "title_deed"}
    assert (
        client.get(f"/api/v1/applications/{application['id']}", headers=headers).get_json()["state"]
        == "draft"
    )


def test_every_upload_refusal_is_documented_in_openapi(app, client):
    operation = client.get("/api/openapi.json").get_json()["paths"][
        "/api/v1/applications/{application_id}/documents"
    ]["post"]
    for status, problems in DOCUMENT_UPLOAD_PROBLEMS.items():
        described = operation["responses"][str(status)]["description"]
        assert all(f"`{code}`" in described for code, _ in problems), status


def test_a_submitted_application_takes_no_more_documents(app, client, draft):
    application, headers = draft
    upload_mandatory(app, client, headers, application["id"])
    assert act(client, headers, application["id"], "submit").status_code == 200
    late = upload(client, headers, application["id"], "lease_contract")
    assert late.status_code == 409 and late.get_json()["code"] == "documents_closed"
