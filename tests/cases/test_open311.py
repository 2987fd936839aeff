"""Open311 GeoReport v2: each documented call, in JSON and in XML, checked against the spec's
field lists (written here from the GeoReport v2 specification, not read from our code)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from app.extensions import db
from cases.models import Case
from tests.cases.helpers import act
from tests.factories import staff_headers

# GeoReport v2's fields, per call.
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
DEFINITION_FIELDS = {"service_code", "attributes"}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
CREATED_FIELDS = {"service_request_id", "service_notice", "account_id"}
BASE = "/open311/v2"
NBG = {"jurisdiction_id": "NBG"}


@pytest.fixture
def api_key(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG", department="it")
    response = client.post("/api/v1/open311/keys", json={"name": "FixMyStreet Oman"}, headers=admin)
    assert response.status_code == 201
    return response.get_json()["api_key"]


def xml(response):
    assert response.status_code == 200 and response.mimetype == "text/xml", response.data
    return ET.fromstring(response.data)  # noqa: S314 - our own answer, in a test


def children(element):
    return {child.tag for child in element}


def post_request(client, api_key, fmt="json", **fields):
    form = {
        "api_key": api_key,
        "jurisdiction_id": "NBG",
        "service_code": "NBG-SUGGESTION",
        "lat": "24.3476",
        "long": "56.7293",
        "first_name": "Salma",
        "last_name": "Al Hinai",
        "email": "salma@example.om",
        "description": "Street lights are out on the corniche road near the fort.",
        **fields,
    }
    form = {k: v for k, v in form.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data=form)  # form-encoded, as GeoReport posts


def test_the_service_list_in_json_and_xml(client):
    listed = client.get(f"{BASE}/services.json", query_string=NBG)
    assert listed.status_code == 200 and listed.mimetype == "application/json"
    services = listed.get_json()
    assert {s["service_code"] for s in services} == {
        "NBG-COMPLAINT",
        "NBG-INQUIRY",
        "NBG-SUGGESTION",
        "NBG-TICKET",
    }
    for service in services:
        assert set(service) == SERVICE_FIELDS
        assert service["type"] in {"realtime", "batch", "blackbox"}
        assert isinstance(service["metadata"], bool) and isinstance(service["keywords"], list)
    root = xml(client.get(f"{BASE}/services.xml", query_string=NBG))
    assert root.tag == "services" and {e.tag for e in root} == {"service"}
    assert all(children(e) == SERVICE_FIELDS for e in root)
    complaint = next(e for e in root if e.findtext("service_code") == "NBG-COMPLAINT")
    assert complaint.findtext("metadata") == "true" and complaint.findtext("type") == "realtime"


def test_the_service_definition_in_json_and_xml(client):
    found = client.get(f"{BASE}/services/NBG-COMPLAINT.json", query_string=NBG)
    definition = found.get_json()
    assert set(definition) == DEFINITION_FIELDS and definition["service_code"] == "NBG-COMPLAINT"
    assert [a["code"] for a in definition["attributes"]] == [
        "party_kind",
        "party_name",
        "party_cr_number",
    ]
    for attribute in definition["attributes"]:
        assert ATTRIBUTE_FIELDS <= set(attribute) <= ATTRIBUTE_FIELDS | {"values"}
        assert attribute["datatype"] in {
            "string",
            "number",
            "datetime",
            "text",
            "singlevaluelist",
            "multivaluelist",
        }
    assert definition["attributes"][0]["values"] == [
        {"key": "person", "name": "Person"},
        {"key": "company", "name": "Company"},
    ]
    root = xml(client.get(f"{BASE}/services/NBG-COMPLAINT.xml", query_string=NBG))
    assert root.tag == "service_definition" and children(root) == DEFINITION_FIELDS
    attributes = root.find("attributes")
    assert [a.findtext("code") for a in attributes] == [
        "party_kind",
        "party_name",
        "party_cr_number",
    ]
    assert [v.findtext("key") for v in attributes[0].find("values")] == ["person", "company"]
    unknown = client.get(f"{BASE}/services/NBG-LEASE-REGISTER.json", query_string=NBG)
    assert unknown.status_code == 404


def test_a_request_is_filed_with_a_key_and_followed_in_json_and_xml(app, client, api_key):
    created = post_request(client, api_key)
    assert created.status_code == 200, created.get_json()
    [receipt] = created.get_json()
    assert set(receipt) == CREATED_FIELDS and receipt["account_id"] is None
    reference = receipt["service_request_id"]

    [shown] = client.get(f"{BASE}/requests/{reference}.json", query_string=NBG).get_json()
    assert set(shown) == REQUEST_FIELDS
    assert (shown["status"], shown["service_code"], shown["lat"], shown["long"]) == (
        "open",
        "NBG-SUGGESTION",
        24.3476,
        56.7293,
    )
    assert shown["description"].startswith("Street lights are out")
    root = xml(client.get(f"{BASE}/requests/{reference}.xml", query_string=NBG))
    assert root.tag == "service_requests" and [e.tag for e in root] == ["request"]
    assert children(root[0]) == REQUEST_FIELDS
    assert root[0].findtext("service_request_id") == reference

    listed = client.get(f"{BASE}/requests.json", query_string={**NBG, "status": "open"})
    assert [r["service_request_id"] for r in listed.get_json()] == [reference]
    assert (
        client.get(f"{BASE}/requests.json", query_string={**NBG, "status": "closed"}).get_json()
        == []
    )

    with app.app_context():
        from app.extensions import db
        from cases.models import Case

        case_id = db.session.scalar(db.select(Case.id).where(Case.reference == reference))
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    act(client, desk, case_id, "answer", answer="Repaired on Tuesday.", decision="accepted")
    [closed] = client.get(f"{BASE}/requests/{reference}.json", query_string=NBG).get_json()
    assert (closed["status"], closed["status_notes"]) == ("closed", "Repaired on Tuesday.")
    filed_xml = xml(post_request(client, api_key, fmt="xml"))
    assert filed_xml.tag == "service_requests" and children(filed_xml[0]) == CREATED_FIELDS


def test_a_complaint_through_open311_stays_confidential(client, api_key):
    created = post_request(
        client,
        api_key,
        service_code="NBG-COMPLAINT",
        **{"attribute[party_kind]": "company", "attribute[party_name]": "Sohar Bakery"},
    )
    [receipt] = created.get_json()
    reference = receipt["service_request_id"]
    assert client.get(f"{BASE}/requests.json", query_string=NBG).get_json() == []
    [shown] = client.get(f"{BASE}/requests/{reference}.json", query_string=NBG).get_json()
    assert set(shown) == REQUEST_FIELDS and shown["status"] == "open"
    assert shown["description"] is None and shown["address"] is None and shown["lat"] is None


def test_open311_refusals(client, api_key):
    assert post_request(client, "not-a-key").status_code == 403
    assert post_request(client, api_key, lat=None, long=None).status_code in (400, 422)
    assert client.get(f"{BASE}/services.json").status_code == 422  # no jurisdiction_id
    assert (
        client.get(f"{BASE}/services.json", query_string={"jurisdiction_id": "XX"}).status_code
        == 404
    )
    other = client.get(f"{BASE}/requests/NBG-CASE-2026-999999.json", query_string=NBG)
    assert other.status_code == 404


def test_a_revoked_key_files_no_more_requests(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG", department="it")
    made = client.post("/api/v1/open311/keys", json={"name": "Old app"}, headers=admin).get_json()
    assert post_request(client, made["api_key"]).status_code == 200
    revoked = client.delete(f"/api/v1/open311/keys/{made['id']}", headers=admin)
    assert revoked.status_code == 204
    assert post_request(client, made["api_key"]).status_code == 403


def test_a_request_is_posted_form_encoded_never_in_the_query_string(app, client, api_key):
    """GeoReport v2 posts its fields in the body; a key in the URL would sit in every log."""
    form = {
        "api_key": api_key,
        "jurisdiction_id": "NBG",
        "service_code": "NBG-SUGGESTION",
        "address_string": "Sohar corniche",
        "email": "salma@example.om",
        "description": "More shade on the corniche.",
    }
    in_url = client.post(f"{BASE}/requests.json", query_string=form)
    assert in_url.status_code == 422
    assert {e["field"] for e in in_url.get_json()["errors"]} >= {"api_key", "service_code"}
    as_json = client.post(f"{BASE}/requests.json", json=form)  # not GeoReport's form either
    assert as_json.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert client.post(f"{BASE}/requests.json", data=form).status_code == 200
