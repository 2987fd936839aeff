"""The catalogue shows whom each service escalates to and by which channels; an admin changes
them through the service's PATCH, validated and audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from tests.factories import staff_headers
from tests.positions.helpers import position

EN = {"Accept-Language": "en"}
MEETING = "/api/v1/services/ABG-MEETING-GOVERNOR"
LEASE = "/api/v1/services/NBG-LEASE-REGISTER"


@pytest.fixture
def admin(app, client):
    return {**staff_headers(app, client, "admin", "NBG")[1], **EN}


def position_id(app, authority: str, key: str) -> int:
    with app.app_context():
        return position(authority, key).id


def test_a_named_position_and_the_seeds_channels_are_shown(app, client):
    served = client.get(MEETING).get_json()
    assert served["escalation_position"] == {
        "id": position_id(app, "ABG", "governor_office_director"),
        "key": "governor_office_director",
        "code": "governor_office_director",
        "name_ar": "مدير مكتب المحافظ",
        "name_en": "Director of the Governor's Office",
    }
    assert served["escalation_position_is_default"] is False
    assert served["escalation_channels"] == ["in_app", "email"]
    assert served["director_escalation_days"] == 5
    assert (served["escalation_days"], served["escalate_to"]) == (7, "department_head")


def test_a_service_naming_none_shows_its_departments_head(app, client):
    listed = client.get(
        "/api/v1/services", query_string={"authority": "NBG", "page_size": 100}
    ).get_json()
    lease = next(s for s in listed if s["code"] == "NBG-LEASE-REGISTER")
    assert lease["escalation_position"]["id"] == position_id(
        app, "NBG", "department_head:licensing"
    )
    assert lease["escalation_position"]["name_en"] == "Head of the Licensing Department"
    assert lease["escalation_position_is_default"] is True
    assert lease["escalation_channels"] == ["in_app", "email", "sms"]


def test_an_admin_sets_position_channels_and_the_directors_threshold_audited(app, client, admin):
    health = position_id(app, "NBG", "department_head:health")
    change = {
        "escalation_position": health,
        "escalation_channels": ["email", "in_app"],
        "director_escalation_days": 3,
    }
    response = client.patch(LEASE, json=change, headers=admin)
    assert response.status_code == 200, response.get_json()
    served = response.get_json()
    assert served["escalation_position"]["id"] == health
    assert served["escalation_position_is_default"] is False
    assert served["escalation_channels"] == ["in_app", "email"]
    assert served["director_escalation_days"] == 3
    assert client.get(LEASE).get_json()["escalation_position"]["id"] == health
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.subject_type == "service", AuditEntry.subject_id == "NBG-LEASE-REGISTER"
            )
        ).all()
        assert entry.before["escalation_position_id"] is None
        assert entry.after["escalation_position_id"] == health
        assert entry.before["escalation_channels"] == ["in_app", "email", "sms"]
        assert entry.after["escalation_channels"] == ["in_app", "email"]
        assert (
            entry.before["director_escalation_days"],
            entry.after["director_escalation_days"],
        ) == (5, 3)
    back = client.patch(LEASE, json={"escalation_position": None}, headers=admin).get_json()
    assert back["escalation_position"]["name_en"] == "Head of the Licensing Department"
    assert back["escalation_position_is_default"] is True


@pytest.mark.parametrize(
    "change",
    [
        {"escalation_channels": []},
        {"escalation_channels": ["fax"]},
        {"escalation_channels": ["sms", "sms"]},
        {"escalation_channels": "sms"},
        {"director_escalation_days": 0},
        {"escalation_position": "head"},
    ],
)
def test_bad_escalation_settings_are_refused(client, admin, change):
    response = client.patch(LEASE, json=change, headers=admin)
    assert response.status_code == 422, response.get_json()
    fields = {e["field"].split(".")[0] for e in response.get_json()["errors"]}
    assert fields == set(change)
    assert client.get(LEASE).get_json()["escalation_channels"] == ["in_app", "email", "sms"]


def test_a_position_of_another_authority_is_refused(app, client, admin):
    elsewhere = position_id(app, "ABG", "training_section")
    response = client.patch(LEASE, json={"escalation_position": elsewhere}, headers=admin)
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["field"] == "escalation_position"
    assert error["detail"] == "No such position in your authority."
    arabic = client.patch(
        LEASE,
        json={"escalation_position": elsewhere},
        headers={**admin, "Accept-Language": "ar"},
    )
    assert arabic.get_json()["errors"][0]["detail"] == "لا يوجد هذا المنصب في جهتك."
    assert client.get(LEASE).get_json()["escalation_position_is_default"] is True
