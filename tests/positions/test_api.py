"""Admins keep their authority's positions: list, create, fill, vacate, re-attach; audited;
anyone else's are absent; bad input is refused in the caller's language, nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from app.positions.models import Position
from app.positions.targets import escalation_targets, record_passed_over
from tests.factories import make_staff, staff_headers
from tests.positions.helpers import deactivate, position, service
from tests.statements import statements

EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}
URL = "/api/v1/positions"


@pytest.fixture
def admin(app, client):
    staff, headers = staff_headers(app, client, "admin", "ABG", department="it")
    return staff, {**headers, **EN}


def ids_of(app, authority: str, *keys: str) -> list[int]:
    with app.app_context():
        return [position(authority, key).id for key in keys]


def audit_rows(app, position_id: int) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry)
                .where(
                    AuditEntry.subject_type == "position", AuditEntry.subject_id == str(position_id)
                )
                .order_by(AuditEntry.id)
            )
        )


def listed(client, headers, **query) -> list[dict]:
    response = client.get(URL, query_string={"page_size": 100, **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_admin_lists_the_authoritys_positions_by_department_and_code(client, admin):
    _, headers = admin
    everything = listed(client, headers)
    assert len(everything) == 14  # the director, 6 heads, 7 named by the seed
    licensing = listed(client, headers, department="licensing")
    assert {p["key"] for p in licensing} == {
        "department_head:licensing",
        "winter_camps_section",
        "section_head:licensing",
    }
    [camps] = [p for p in licensing if p["key"] == "winter_camps_section"]
    assert camps["code"] == "section_manager" and camps["holder"] is None
    assert camps["filled"] is False and camps["passed_over"] == 0
    assert camps["reports_to"]["key"] == "department_head:licensing"
    assert camps["department"]["code"] == "licensing"
    offices = listed(client, headers, code="wali_office_director")
    assert [(p["name_en"], p["department"]) for p in offices] == [
        ("Director of the Wali's Office", None)
    ]


def test_unfilled_positions_come_with_the_escalations_that_passed_them(app, client, admin):
    _, headers = admin
    director = make_staff(app, "admin", "ABG", "it")["id"]
    with app.app_context():
        position("ABG", "director").holder_id = director
        db.session.commit()
        training = service("ABG-TRAINING-REQUEST").id
        record_passed_over(escalation_targets([(2, training, None), (1, training, None)]))
        db.session.commit()
    unfilled = {p["key"]: p for p in listed(client, headers, unfilled="true")}
    assert "director" not in unfilled and len(unfilled) == 13
    assert unfilled["training_section"]["passed_over"] == 2
    assert unfilled["department_head:customer_service"]["passed_over"] == 2
    assert unfilled["winter_camps_section"]["passed_over"] == 0
    assert unfilled["training_section"]["last_passed_over_at"].endswith("+04:00")
    assert [p["key"] for p in listed(client, headers, unfilled="false")] == ["director"]
    deactivate_in(app, director)
    assert "director" in {p["key"] for p in listed(client, headers, unfilled="true")}


def deactivate_in(app, user_id: int) -> None:
    with app.app_context():
        deactivate(user_id)


def test_an_admin_fills_and_vacates_a_position_audited(app, client, admin):
    staff, headers = admin
    holder = make_staff(app, "inspector", "ABG", "customer_service")
    [training] = ids_of(app, "ABG", "training_section")
    response = client.patch(f"{URL}/{training}", json={"holder": holder["id"]}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["holder"]["id"] == holder["id"]
    assert response.get_json()["filled"] is True
    vacated = client.patch(f"{URL}/{training}", json={"holder": None}, headers=headers)
    assert vacated.get_json()["holder"] is None and vacated.get_json()["filled"] is False
    filled, emptied = audit_rows(app, training)
    assert filled.action == emptied.action == "position.updated"
    assert (filled.actor_id, filled.actor_role) == (staff["id"], "admin")
    assert filled.before["holder_id"] is None and filled.after["holder_id"] == holder["id"]
    assert emptied.before["holder_id"] == holder["id"] and emptied.after["holder_id"] is None


def test_renaming_and_reattaching_a_position(app, client, admin):
    _, headers = admin
    training, director = ids_of(app, "ABG", "training_section", "director")
    change = {"name_en": "  Training   Section Manager ", "reports_to": director}
    response = client.patch(f"{URL}/{training}", json=change, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name_en"] == "Training Section Manager"
    assert response.get_json()["reports_to"]["id"] == director
    assert client.get(f"{URL}/{training}", headers=headers).get_json()["reports_to"]["key"] == (
        "director"
    )
    served = client.get("/api/v1/services/ABG-TRAINING-REQUEST").get_json()
    assert served["escalation_position"]["name_en"] == "Training Section Manager"


def test_an_admin_creates_a_section_manager_under_its_departments_head(app, client, admin):
    _, headers = admin
    body = {
        "key": "markets_section",
        "code": "section_manager",
        "department": "health",
        "name_ar": "مدير قسم الأسواق",
        "name_en": "Manager of the Markets Section",
    }
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["reports_to"]["key"] == "department_head:health"
    assert (created["department"]["code"], created["holder"]) == ("health", None)
    [entry] = audit_rows(app, created["id"])
    assert entry.action == "position.created" and entry.after["key"] == "markets_section"
    again = client.post(URL, json=body, headers=headers)
    assert again.status_code == 422
    assert [e["field"] for e in again.get_json()["errors"]] == ["key"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"code": "director"}, ["code"]),  # the authority has one
        ({"code": "department_head", "department": "licensing"}, ["department"]),  # has one
        ({"code": "section_manager"}, ["department"]),
        ({"code": "section_manager", "department": "parks"}, ["department"]),
        ({"code": "chief"}, ["code"]),
        ({"key": "Has Spaces"}, ["key"]),
        ({"name_en": ""}, ["name_en"]),
        ({"holder": 0}, ["holder"]),
        ({"reports_to": 2**31}, ["reports_to"]),
    ],
)
def test_a_position_that_breaks_a_rule_is_refused_and_nothing_written(
    app, client, admin, body, fields
):
    _, headers = admin
    full = {
        "key": "new_one",
        "code": "governor_office_director",
        "name_ar": "منصب",
        "name_en": "A position",
        **body,
    }
    before = count_positions(app)
    response = client.post(URL, json=full, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == fields
    assert count_positions(app) == before


def count_positions(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Position))


def test_the_holder_is_an_active_member_of_the_authoritys_staff(app, client, admin):
    _, headers = admin
    [training] = ids_of(app, "ABG", "training_section")
    elsewhere = make_staff(app, "inspector", "NBG", "licensing")["id"]
    gone = make_staff(app, "inspector", "ABG", "licensing")["id"]
    deactivate_in(app, gone)
    for holder in (elsewhere, gone):
        response = client.patch(f"{URL}/{training}", json={"holder": holder}, headers=headers)
        assert response.status_code == 422
        [error] = response.get_json()["errors"]
        assert error["field"] == "holder" and "active member" in error["detail"]
    arabic = client.patch(f"{URL}/{training}", json={"holder": gone}, headers={**headers, **AR})
    assert "موظفي" in arabic.get_json()["errors"][0]["detail"]
    assert audit_rows(app, training) == []


def test_no_chain_of_reports_to_comes_back_to_a_position(app, client, admin):
    _, headers = admin
    head, training = ids_of(app, "ABG", "department_head:customer_service", "training_section")
    response = client.patch(f"{URL}/{head}", json={"reports_to": training}, headers=headers)
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["field"] == "reports_to" and "itself" in error["detail"]
    arabic = client.patch(f"{URL}/{head}", json={"reports_to": training}, headers={**headers, **AR})
    assert "نفسه" in arabic.get_json()["errors"][0]["detail"]
    itself = client.patch(f"{URL}/{head}", json={"reports_to": head}, headers=headers)
    assert itself.status_code == 422
    [director] = ids_of(app, "ABG", "director")
    up = client.patch(f"{URL}/{director}", json={"reports_to": head}, headers=headers)
    assert [e["field"] for e in up.get_json()["errors"]] == ["reports_to"]


def test_another_authoritys_positions_are_absent(app, client, admin):
    _, headers = admin
    [nbg_director] = ids_of(app, "NBG", "director")
    assert client.get(f"{URL}/{nbg_director}", headers=headers).status_code == 404
    patch = client.patch(f"{URL}/{nbg_director}", json={"name_en": "x"}, headers=headers)
    assert patch.status_code == 404
    [training] = ids_of(app, "ABG", "training_section")
    across = client.patch(f"{URL}/{training}", json={"reports_to": nbg_director}, headers=headers)
    assert [e["field"] for e in across.get_json()["errors"]] == ["reports_to"]
    assert "NBG" not in {p["key"] for p in listed(client, headers)}
    assert len(listed(client, headers, department="licensing")) == 3


@pytest.mark.parametrize("role", ["inspector", "department_head", "auditor", "finance"])
def test_other_staff_may_not_keep_positions(app, client, role):
    _, headers = staff_headers(app, client, role, "ABG")
    assert client.get(URL, headers=headers).status_code == 403
    assert client.patch(f"{URL}/1", json={"holder": None}, headers=headers).status_code == 403


def test_the_list_is_two_statements_however_many_positions(app, client, admin):
    _, headers = admin
    with statements(app) as sent:
        assert len(listed(client, headers)) == 14
    assert len(sent.touching("positions")) == 2, sent.text()  # the page and its count
