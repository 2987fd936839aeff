"""An admin changes fees, targets and documents of the authority's own services, audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.catalogue.models import Service
from app.extensions import db
from tests.factories import applicant_headers, staff_headers

EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}
LEASE = "/api/v1/services/NBG-LEASE-REGISTER"


@pytest.fixture
def admin(app, client):
    staff, headers = staff_headers(app, client, "admin", "NBG")
    return staff, {**headers, **EN}


def audit_rows(app, code: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.subject_type == "service", AuditEntry.subject_id == code)
                .order_by(AuditEntry.id)
            )
        )


def stored(app, code: str) -> Service:
    with app.app_context():
        service = db.session.scalar(sa.select(Service).filter_by(code=code))
        db.session.expunge(service)
        return service


def test_an_admin_sets_a_fee_it_is_stored_in_baisa_shown_and_audited(app, client, admin):
    staff, headers = admin
    response = client.patch(LEASE, json={"fee": "12.500"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["fee"] == "12.500"
    assert response.get_json()["fee_is_placeholder"] is False
    assert client.get(LEASE).get_json()["fee"] == "12.500"
    assert stored(app, "NBG-LEASE-REGISTER").fee_baisa == 12500

    [entry] = audit_rows(app, "NBG-LEASE-REGISTER")
    assert entry.action == "service.updated"
    assert (entry.actor_id, entry.actor_role) == (staff["id"], "admin")
    assert entry.before["fee_baisa"] == 3000 and entry.before["fee_is_placeholder"] is True
    assert entry.after["fee_baisa"] == 12500 and entry.after["fee_is_placeholder"] is False
    assert entry.at is not None and entry.authority_id is not None


def test_a_fee_the_gateway_cannot_take_is_refused_and_explained(app, client, admin):
    _, headers = admin
    response = client.patch(LEASE, json={"fee": "12.345"}, headers=headers)
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["field"] == "fee" and "multiple of 10 baisa" in error["detail"]
    arabic = client.patch(LEASE, json={"fee": "12.345"}, headers={**headers, **AR})
    assert "10 بيسات" in arabic.get_json()["errors"][0]["detail"]
    assert stored(app, "NBG-LEASE-REGISTER").fee_baisa == 3000
    assert audit_rows(app, "NBG-LEASE-REGISTER") == []


@pytest.mark.parametrize("fee", [12.5, 12, "12.5000", "-1.000", "1e3", "", "12,500", "100000.000"])
def test_fees_that_are_not_amounts_are_refused(client, admin, fee):
    response = client.patch(LEASE, json={"fee": fee}, headers=admin[1])
    assert response.status_code == 422, fee
    assert [e["field"] for e in response.get_json()["errors"]] == ["fee"]


def test_an_admin_changes_target_escalation_documents_and_active_flag(app, client, admin):
    _, headers = admin
    documents = [
        {"code": "title_deed", "name_ar": "سند الملكية", "name_en": "Title deed"},
        {
            "code": "tenant_letter",
            "name_ar": "رسالة المستأجر",
            "name_en": "Tenant's letter",
            "mandatory": False,
        },
    ]
    change = {
        "sla_days": 0,
        "escalation_days": 3,
        "escalate_to": "department_head",
        "required_documents": documents,
        "fee": "0",
    }
    response = client.patch(LEASE, json=change, headers=headers)
    assert response.status_code == 200, response.get_json()
    service = response.get_json()
    assert (service["sla_days"], service["escalation_days"], service["fee"]) == (0, 3, "0.000")
    assert service["required_documents"] == [
        {**documents[0], "mandatory": True},
        documents[1],
    ]
    assert client.get(LEASE).get_json()["required_documents"] == service["required_documents"]
    [entry] = audit_rows(app, "NBG-LEASE-REGISTER")
    assert [d["code"] for d in entry.before["required_documents"]] == [
        "civil_id_copy",
        "lease_contract",
        "title_deed",
    ]
    assert [d["code"] for d in entry.after["required_documents"]] == ["title_deed", "tenant_letter"]

    withdrawn = client.patch(LEASE, json={"is_active": False}, headers=headers)
    assert withdrawn.get_json()["is_active"] is False
    listed = client.get("/api/v1/services", query_string={"authority": "NBG", "page_size": 100})
    assert "NBG-LEASE-REGISTER" not in {s["code"] for s in listed.get_json()}


def test_a_new_target_replaces_the_note_on_the_seeded_one(app, client):
    _, headers = staff_headers(app, client, "admin", "ABG")
    url = "/api/v1/services/ABG-MEETING-GOVERNOR"
    assert client.get(url).get_json()["sla_note_en"]
    response = client.patch(url, json={"sla_days": 10}, headers=headers)
    assert response.get_json()["sla_days"] == 10
    assert response.get_json()["sla_note_en"] is None and response.get_json()["sla_note_ar"] is None


def test_escalation_days_need_someone_to_escalate_to(client, admin):
    response = client.patch(LEASE, json={"escalation_days": 2}, headers=admin[1])
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["escalate_to"]


def test_a_patch_that_changes_nothing_writes_no_audit_row(app, client, admin):
    assert client.patch(LEASE, json={}, headers=admin[1]).status_code == 200
    assert client.patch(LEASE, json={"sla_days": 7}, headers=admin[1]).status_code == 200
    assert audit_rows(app, "NBG-LEASE-REGISTER") == []


def test_an_admin_of_another_authority_gets_404(app, client):
    _, headers = staff_headers(app, client, "admin", "ABG")
    response = client.patch(LEASE, json={"fee": "1.000"}, headers=headers)
    assert response.status_code == 404
    assert stored(app, "NBG-LEASE-REGISTER").fee_baisa == 3000


@pytest.mark.parametrize("role", ["inspector", "finance", "department_head"])
def test_staff_who_are_not_admins_are_forbidden(app, client, role):
    _, headers = staff_headers(app, client, role, "NBG")
    response = client.patch(LEASE, json={"fee": "1.000"}, headers=headers)
    assert response.status_code == 403


def test_applicants_are_forbidden_and_strangers_must_log_in(client):
    _, headers = applicant_headers(client)
    assert client.patch(LEASE, json={"fee": "1.000"}, headers=headers).status_code == 403
    assert client.patch(LEASE, json={"fee": "1.000"}).status_code == 401


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"sla_days": 366}, ["sla_days"]),
        ({"sla_days": -1}, ["sla_days"]),
        ({"sla_days": "5"}, ["sla_days"]),
        ({"sla_days": 2.5}, ["sla_days"]),
        ({"escalation_days": 0, "escalate_to": "admin"}, ["escalation_days"]),
        ({"escalate_to": "applicant"}, ["escalate_to"]),
        ({"is_active": "perhaps"}, ["is_active"]),
        ({"name_ar": "اسم جديد"}, ["name_ar"]),
        (
            {"required_documents": [{"code": "Bad Code", "name_ar": "أ", "name_en": "A"}]},
            ["required_documents.0.code"],
        ),
        (
            {"required_documents": [{"code": "a"}]},
            ["required_documents.0.name_ar", "required_documents.0.name_en"],
        ),
        (
            {
                "required_documents": [
                    {"code": "a", "name_ar": "أ", "name_en": "A"},
                    {"code": "a", "name_ar": "ب", "name_en": "B"},
                ]
            },
            ["required_documents"],
        ),
        ({"sla_days": 999, "fee": 1.5}, ["fee", "sla_days"]),
    ],
)
def test_bad_fields_are_named_and_nothing_changes(app, client, admin, change, fields):
    response = client.patch(LEASE, json=change, headers=admin[1])
    assert response.status_code == 422, response.get_json()
    assert sorted({e["field"] for e in response.get_json()["errors"]}) == fields
    assert audit_rows(app, "NBG-LEASE-REGISTER") == []
