"""Numbers out of range: an id past the id columns' range is 404 in a path and 422 in a query
or a body; `page` and `page_size` have bounds, in the OpenAPI document too."""

from __future__ import annotations

import pytest

from tests.factories import applicant_headers, staff_headers

BEYOND_INT4 = 7424923051  # past PostgreSQL's integer, 2^31 - 1
BEYOND_INT8 = 2**63 + 1


def _invalid(response, field):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in [e["field"] for e in response.get_json()["errors"]]


@pytest.mark.parametrize("number", [BEYOND_INT4, BEYOND_INT8, 2**31, 0])
def test_an_id_out_of_range_in_a_path_is_404(app, client, number):
    _, applicant = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector")
    for path in (
        f"/api/v1/applications/{number}",
        f"/api/v1/applications/{number}/messages",
        f"/api/v1/documents/{number}",
        f"/api/v1/payments/{number}",
        f"/api/v1/refunds/{number}",
    ):
        for headers in (applicant, inspector, {}):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.get_data(as_text=True))
            assert response.get_json()["code"] == "not_found"


def test_the_largest_id_is_still_an_id(app, client):
    _, applicant = applicant_headers(client)
    assert client.get(f"/api/v1/applications/{2**31 - 1}", headers=applicant).status_code == 404


@pytest.mark.parametrize("page", ["9223372036854775807", "1000001", "0", "-1"])
def test_a_page_out_of_range_is_422_on_every_kind_of_list(app, client, page):
    _, applicant = applicant_headers(client)
    _invalid(client.get(f"/api/v1/services?page={page}"), "page")
    _invalid(client.get(f"/api/v1/applications?page={page}", headers=applicant), "page")
    _invalid(client.get(f"/api/v1/calendar/holidays?year=2026&page={page}"), "page")


@pytest.mark.parametrize("size", ["0", "101", "9223372036854775807"])
def test_a_page_size_out_of_range_is_422(client, size):
    _invalid(client.get(f"/api/v1/services?page_size={size}"), "page_size")


def test_the_last_page_allowed_answers_an_empty_list(client):
    response = client.get("/api/v1/services?page=1000000&page_size=100")
    assert response.status_code == 200 and response.get_json() == []


def test_the_bounds_are_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    listing = spec["paths"]["/api/v1/services"]["get"]["parameters"]
    schemas = {p["name"]: p["schema"] for p in listing}
    assert schemas["page"]["minimum"] == 1 and schemas["page"]["maximum"] == 1_000_000
    assert schemas["page_size"]["minimum"] == 1 and schemas["page_size"]["maximum"] == 100
    item = spec["paths"]["/api/v1/applications/{application_id}"]["parameters"][0]
    assert item["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    every_int_path = [
        p["schema"]
        for path in spec["paths"].values()
        for p in path.get("parameters", [])
        if p["in"] == "path" and p["schema"]["type"] == "integer"
    ]
    assert len(every_int_path) >= 10
    assert all(s["maximum"] == 2**31 - 1 for s in every_int_path)


def test_an_id_out_of_range_in_a_query_or_a_body_is_422(app, client):
    _, head = staff_headers(app, client, "department_head")
    _invalid(client.get(f"/api/v1/applications?assignee={BEYOND_INT4}", headers=head), "assignee")
    _, applicant = applicant_headers(client)
    created = client.post(
        "/api/v1/applications",
        json={"service": "NBG-COMPLAINT", "details": {"purpose": "noise"}},
        headers=applicant,
    ).get_json()
    for number in (BEYOND_INT4, BEYOND_INT8, 0):
        response = client.put(
            f"/api/v1/applications/{created['id']}/assignment",
            json={"assignee_id": number},
            headers=head,
        )
        _invalid(response, "assignee_id")
