"""Anyone browses the catalogue: filters, pages, one service, and search by name."""

from __future__ import annotations

import json

import pytest

from tests.catalogue.helpers import codes, list_services

EN = {"Accept-Language": "en"}


def test_one_service_shows_target_fee_and_documents(client):
    response = client.get("/api/v1/services/NBG-LEASE-REGISTER")
    assert response.status_code == 200
    service = response.get_json()
    assert service["authority"] == {
        "code": "NBG",
        "name_ar": "محافظة شمال الباطنة",
        "name_en": "North Al Batinah Governorate",
    }
    assert (service["name_ar"], service["name_en"]) == (
        "تسجيل عقد إيجار",
        "Lease Contract Registration",
    )
    assert (service["family"], service["action"], service["sla_days"]) == ("lease", "register", 7)
    assert (service["fee"], service["fee_is_placeholder"], service["is_active"]) == (
        "3.000",
        True,
        True,
    )
    assert service["escalation_days"] is None and service["escalate_to"] is None
    assert service["description_en"] and service["description_ar"]
    assert [d["code"] for d in service["required_documents"]] == [
        "civil_id_copy",
        "lease_contract",
        "title_deed",
    ]
    assert set(service["required_documents"][0]) == {"code", "name_ar", "name_en", "mandatory"}
    assert client.get("/api/v1/services/nbg-lease-register").get_json()["code"] == (
        "NBG-LEASE-REGISTER"
    )


def test_an_unknown_service_is_a_404_problem(client):
    response = client.get("/api/v1/services/NBG-NO-SUCH-THING", headers=EN)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not_found"
    assert response.get_json()["detail"] == "There is no service with this code."


def test_filters_by_authority_family_and_action(client):
    assert len(list_services(client, authority="NBG")) == 71
    assert len(list_services(client, authority="abg")) == 16
    assert list_services(client, authority="XYZ") == []
    leases = list_services(client, family="lease")
    assert codes(leases) == {
        "NBG-LEASE-REGISTER",
        "NBG-LEASE-RENEW",
        "NBG-LEASE-CANCEL",
        "NBG-LEASE-AMEND",
    }
    renewals = list_services(client, authority="NBG", family="municipal_licence", action="renew")
    assert codes(renewals) == {"NBG-MUNLICENCE-RENEW"}
    temporary = list_services(client, authority="ABG", family="temporary_licence")
    assert {s["action"] for s in temporary} == {"register"} and len(temporary) == 3
    assert all(s["action"] == "cancel" for s in list_services(client, action="cancel"))


@pytest.mark.parametrize(
    "params, field",
    [
        ({"family": "parking"}, "family"),
        ({"action": "destroy"}, "action"),
        ({"active": "maybe"}, "active"),
        ({"q": "x" * 101}, "q"),
        ({"page_size": 101}, "page_size"),
    ],
)
def test_bad_filters_are_named(client, params, field):
    response = client.get("/api/v1/services", query_string=params, headers=EN)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_the_list_is_paginated_with_totals_in_the_header(client):
    first = client.get("/api/v1/services", query_string={"page_size": 10})
    assert len(first.get_json()) == 10
    # 87 from the seed tables and 8 the case kinds run on (cases/seed.py)
    assert json.loads(first.headers["X-Pagination"]) == {
        "total": 95,
        "total_pages": 10,
        "first_page": 1,
        "last_page": 10,
        "page": 1,
        "next_page": 2,
    }
    last = client.get("/api/v1/services", query_string={"page_size": 10, "page": 10})
    assert len(last.get_json()) == 5
    assert json.loads(last.headers["X-Pagination"])["previous_page"] == 9
    default = client.get("/api/v1/services")
    assert len(default.get_json()) == 20


def search(client, q: str, **params) -> set[str]:
    return codes(list_services(client, q=q, **params))


def test_search_ignores_hamza_and_alef_variants_and_diacritics(client):
    # Written "إباحة" in some rows and "اباحة" in others; either spelling, with or without
    # diacritics, finds all of them.
    permits = {
        "NBG-MAJOR-BLDG-PERMIT-REGISTER",
        "NBG-MAJOR-BLDG-PERMIT-RENEW",
        "NBG-MAJOR-BLDG-PERMIT-PLAN-CHANGE",
        "NBG-MAJOR-BLDG-PERMIT-ISSUE-NEW",
        "NBG-BLDG-PERMIT-RENEW-PLAN-OWNER",
    }
    assert search(client, "إباحة") == permits
    assert search(client, "اباحه") == permits
    assert search(client, "إِبَاحَةُ") == permits
    assert search(client, "أباحة") == permits


def test_search_ignores_taa_marbuta_alef_maqsura_and_tatweel(client):
    health_cards = {
        "NBG-HEALTHCARD-REGISTER",
        "NBG-HEALTHCARD-RENEW",
        "NBG-HEALTHCARD-AMEND",
        "NBG-HEALTHCARD-CANCEL",
    }
    assert search(client, "بطاقه صحيه") == health_cards
    assert search(client, "بطاقـــة") == health_cards
    assert search(client, "التجارية", family="vehicle_signage") == {  # written "التجاريه"
        "NBG-VEHSIGN-REGISTER",
        "NBG-VEHSIGN-AMEND",
        "NBG-VEHSIGN-RENEW",
        "NBG-VEHSIGN-CANCEL",
    }
    assert search(client, "موتي") == {"NBG-BURIAL"}  # written "موتى"
    assert search(client, "شكـوي") == {"NBG-COMPLAINT", "ABG-COMPLAINT"}


def test_search_in_english_ignores_case(client):
    assert search(client, "LEASE contract") == search(client, "lease CONTRACT")
    assert len(search(client, "lease contract")) == 4
    assert search(client, "café") == {"ABG-MOBILE-CAFE-LOCATION"}
    assert search(client, "Complaint", authority="ABG") == {"ABG-COMPLAINT"}


def test_search_takes_wildcards_literally(client):
    assert search(client, "%") == set()
    assert search(client, "_") == set()
    assert search(client, "no such service anywhere") == set()


def test_withdrawn_services_are_listed_only_when_asked(app, client):
    from app.catalogue.models import Service
    from app.extensions import db

    with app.app_context():
        db.session.execute(
            db.update(Service).where(Service.code == "NBG-BURIAL").values(is_active=False)
        )
        db.session.commit()
    assert "NBG-BURIAL" not in codes(list_services(client, authority="NBG"))
    assert codes(list_services(client, active="false")) == {"NBG-BURIAL"}
    assert client.get("/api/v1/services/NBG-BURIAL").get_json()["is_active"] is False
