"""The OpenAPI document tells the truth: problem JSON for errors, the statuses each operation can
answer, `X-Pagination` as the JSON string it is."""

from __future__ import annotations

import json
import re

import pytest

from app.catalogue.seed import seed_catalogue
from app.extensions import db
from app.openapi import derived_statuses
from app.view_marks import view_handler
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, PDF, PNG, upload

PROBLEM = "application/problem+json"


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def resolve(spec, response):
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def statuses(spec, method, path):
    return set(spec["paths"][path][method]["responses"])


def test_every_error_is_documented_as_problem_json_and_none_as_default(spec):
    for method, path, operation in operations(spec):
        assert "default" not in operation["responses"], (method, path)
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                content = resolve(spec, response)["content"]
                schema = "ValidationProblem" if status == "422" else "Problem"
                assert content == {PROBLEM: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def test_the_problem_schema_names_every_member(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "instance",
    }
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    errors = schemas["ValidationProblem"]["allOf"][1]
    assert errors["required"] == ["errors"]
    assert set(schemas["FieldError"]["properties"]) == {"field", "pointer", "detail"}


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        # public, a query: a bad token sent anyway, bad filters, the database out of reach;
        # 304 to a revalidation (app.catalogue.caching)
        ("get", "/api/v1/services", {"200", "304", "401", "422", "503"}),
        # public, a path: no 403
        ("get", "/api/v1/services/{code}", {"200", "304", "401", "404", "422", "503"}),
        # login: wrong password 401, lockout 429
        (
            "post",
            "/api/v1/auth/login",
            {"200", "400", "401", "409", "413", "415", "422", "429", "503"},
        ),
        # one role, a body, a path, a write that maintenance stops
        (
            "patch",
            "/api/v1/services/{code}",
            {"200", "400", "401", "403", "404", "409", "413", "415", "422", "503"},
        ),
        # any logged-in caller, no body, no path: 401, 422 for a header we read, 503
        ("get", "/api/v1/me", {"200", "401", "422", "503"}),
        # the lifecycle table's 403 although any logged-in caller may call it
        (
            "post",
            "/api/v1/applications/{application_id}/actions/{action}",
            {"200", "400", "401", "403", "404", "409", "413", "415", "422", "503"},
        ),
        # uploads: their own table (and 429 once rate limited: see the test below)
        (
            "post",
            "/api/v1/applications/{application_id}/documents",
            {"201", "400", "401", "403", "404", "409", "413", "415", "422", "503"},
        ),
        # the webhook: public, exempt from maintenance
        (
            "post",
            "/api/v1/payments/{gateway}/webhook",
            {"200", "400", "401", "404", "409", "413", "415", "422", "503"},
        ),
    ],
)
def test_each_operation_documents_the_statuses_it_answers(spec, method, path, expected):
    # 429 follows the request limits (`@rate_limited`), tested on its own below
    assert statuses(spec, method, path) - {"429"} == expected - {"429"}
    if path == "/api/v1/auth/login":
        assert "429" in statuses(spec, method, path)  # the lockout, limits or not


def test_a_rate_limited_view_documents_429():
    def upload():
        """A view under a request limit."""

    upload._allowed = frozenset({"applicant"})
    plain = derived_statuses(upload, "post", True)
    upload._rate_limit_group = "upload"
    assert derived_statuses(upload, "post", True) == plain | {429}
    assert plain == {400, 401, 403, 404, 409, 413, 415, 422, 503}


def test_every_rate_limited_operation_documents_429(app, spec):
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = view_handler(app.view_functions[rule.endpoint], method)
            if getattr(handler, "_rate_limit_group", None):
                assert "429" in statuses(spec, method.lower(), path), (method, path)


def test_answers_with_a_retry_after_or_a_challenge_document_that_header(spec):
    responses = spec["components"]["responses"]
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]["required"] is True
    assert "Retry-After" in responses["ServiceUnavailable"]["headers"]
    assert "Retry-After" in responses["TooManyRequests"]["headers"]


def test_x_pagination_is_declared_as_a_json_string(spec, client):
    header = spec["paths"]["/api/v1/services"]["get"]["responses"]["200"]["headers"]["X-Pagination"]
    assert header["schema"]["type"] == "string"
    assert header["schema"]["contentMediaType"] == "application/json"
    members = spec["components"]["schemas"]["PaginationMetadata"]["properties"]
    assert {"total", "total_pages", "first_page", "last_page", "page"} <= set(members)
    served = json.loads(client.get("/api/v1/authorities?page_size=1").headers["X-Pagination"])
    assert set(served) <= set(members)
    assert served["page"] == 1 and served["next_page"] == 2 and served["total"] >= 2


def test_a_served_problem_is_problem_json_with_the_documented_members(client):
    response = client.get("/api/v1/services/NO-SUCH-SERVICE")
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert {"type", "title", "status", "detail", "code"} <= set(response.get_json())


def test_a_new_operation_is_documented_without_being_written_down(app, spec):
    """Every operation of the app, whatever its package, went through the derivation."""
    for method, path, operation in operations(spec):
        assert "401" in operation["responses"], (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)


def test_a_maintenance_window_outside_2000_to_2100_is_refused(app, client):
    """Found by schemathesis: a window starting in 1651 was kept and shown with Muscat's local
    mean time offset (+03:54:24), which is no RFC 3339 date-time."""
    _, headers = staff_headers(app, client, "admin")
    window = {"message_ar": "صيانة", "message_en": "Maintenance", "ends_at": "2027-01-01T00:00Z"}
    response = client.post(
        "/api/v1/announcements",
        json={**window, "starts_at": "1651-06-30T18:17:23+16:47"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["starts_at"]
    assert client.get("/api/v1/announcements").get_json() == []


def test_a_role_restricted_operation_answers_its_documented_403(app, client):
    _, headers = applicant_headers(client)
    response = client.get("/api/v1/payments", headers=headers)
    assert response.status_code == 403 and response.mimetype == PROBLEM


def test_a_downloaded_document_has_a_documented_content_type(app, client, tmp_path):
    """The downloads were documented as application/octet-stream and answered as what the bytes
    are (application/pdf, image/png): a content type the document did not name."""
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
    with app.app_context():
        seed_catalogue()
        db.session.commit()
    _, headers = applicant_headers(client)
    lease = client.post("/api/v1/leases", json=LEASE, headers=headers).get_json()
    documented = set(
        client.get("/api/openapi.json").get_json()["paths"]["/api/v1/documents/{document_id}"][
            "get"
        ]["responses"]["200"]["content"]
    )
    assert documented == {"application/pdf", "image/jpeg", "image/png"}
    for code, content, name in (("lease_contract", PDF, "a.pdf"), ("title_deed", PNG, "b.png")):
        kept = upload(client, headers, lease["id"], code, content, name).get_json()
        download = client.get(f"/api/v1/documents/{kept['id']}", headers=headers)
        assert download.status_code == 200 and download.mimetype in documented
