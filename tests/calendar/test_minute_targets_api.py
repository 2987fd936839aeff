"""Targets in working minutes through the API (issue 15): the calendar's due time, the
authority's working hours, a service's minute target copied onto an application whose due
moment shows in its detail and moves with a declared holiday and with new working hours."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from licensing.models import Application
from tests.clock import Clock
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, pay, upload_mandatory

DUE = "/api/v1/calendar/due-date"
HOURS = "/api/v1/calendar/working-hours"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_a_four_hour_target_from_thursday_afternoon_is_due_sunday_at_half_past_eleven(client):
    response = client.get(DUE, query_string={"start": "2026-12-17T14:00:00", "hours": 4})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "start": "2026-12-17T14:00:00+04:00",
        "minutes": 240,
        "due_date": "2026-12-20",
        "due_at": "2026-12-20T11:30:00+04:00",
        "work_starts": "08:00",
        "work_ends": "14:30",
        "skipped": [
            {"date": "2026-12-18", "reason": "weekend", "name_en": None, "name_ar": None},
            {"date": "2026-12-19", "reason": "weekend", "name_en": None, "name_ar": None},
        ],
    }


def test_thirty_minutes_from_sunday_twenty_past_two_are_due_monday_at_twenty_past_eight(client):
    body = client.get(
        DUE, query_string={"start": "2026-12-20T14:20:00+04:00", "minutes": 30}
    ).get_json()
    assert (body["due_at"], body["skipped"]) == ("2026-12-21T08:20:00+04:00", [])


def test_from_a_holiday_it_counts_from_eight_on_the_next_working_day(client):
    body = client.get(DUE, query_string={"start": "2026-11-25T10:00", "minutes": 30}).get_json()
    assert body["due_at"] == "2026-11-29T08:30:00+04:00"
    assert [s["reason"] for s in body["skipped"]] == ["holiday", "weekend", "weekend"]


def test_a_days_target_answers_as_before(client):
    body = client.get(DUE, query_string={"start": "2026-12-17T09:00:00", "days": 3}).get_json()
    assert set(body) == {"start", "days", "due_date", "due_at", "skipped"}


@pytest.mark.parametrize(
    "query, field",
    [
        ({"days": 3, "hours": 4}, "hours"),
        ({"minutes": 30, "hours": 4}, "minutes"),
        ({}, "days"),
        ({"minutes": 0}, "minutes"),
        ({"hours": 131}, "hours"),
    ],
)
def test_exactly_one_target_is_given(client, query, field):
    response = client.get(DUE, query_string={"start": "2026-12-17T09:00:00", **query})
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_past_the_calendar_the_answer_names_minutes(client):
    response = client.get(DUE, query_string={"start": "2040-12-31T09:00:00", "minutes": 600})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["minutes"]


def test_an_admin_sets_the_working_hours_audited_and_only_for_the_own_authority(app, client):
    assert client.get(HOURS, query_string={"authority": "ABG"}).get_json() == {
        "authority": "ABG",
        "work_starts": "08:00",
        "work_ends": "14:30",
    }
    _, admin = staff_headers(app, client, "admin", "ABG")
    _, inspector = staff_headers(app, client, "inspector", "ABG")
    change = {"work_starts": "07:30", "work_ends": "13:30"}
    assert client.patch(HOURS, json=change, headers=inspector).status_code == 403
    response = client.patch(HOURS, json=change, headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {"authority": "ABG", **change}
    assert client.get(HOURS, query_string={"authority": "NBG"}).get_json()["work_ends"] == "14:30"
    # The calendar counts inside the new hours at once: Thu 13:00 → 30 minutes, Sun 7:30 + 90.
    body = client.get(
        DUE, query_string={"start": "2026-12-17T13:00", "hours": 2, "authority": "ABG"}
    ).get_json()
    assert (body["due_at"], body["work_starts"]) == ("2026-12-20T09:00:00+04:00", "07:30")
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "working_hours.changed")
        )
        assert entry.before["work_starts"] == "08:00" and entry.after["work_starts"] == "07:30"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"work_starts": "15:00"}, "work_ends"),  # after the end (14:30)
        ({"work_starts": "8:00"}, "work_starts"),
        ({"work_ends": "14:60"}, "work_ends"),
        ({"work_ends": "25:00"}, "work_ends"),
    ],
)
def test_working_hours_must_be_times_of_a_day_in_order(app, client, change, field):
    _, admin = staff_headers(app, client, "admin", "NBG")
    response = client.patch(HOURS, json=change, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def _stored(app, application_id):
    with app.app_context():
        application = db.session.get(Application, application_id)
        found = (application.sla_due_at, application.sla_due_date)
        db.session.remove()
    return found


def test_a_minute_target_is_copied_shown_and_moved_by_the_calendar(app, client, clock):
    _, admin = staff_headers(app, client, "admin", "NBG")
    _, applicant = applicant_headers(client)
    url = "/api/v1/services/NBG-LEASE-REGISTER"
    service = client.patch(url, json={"sla_minutes": 240}, headers=admin).get_json()
    assert (service["sla_unit"], service["sla_minutes"], service["sla_days"]) == (
        "working_minutes",
        240,
        None,
    )
    clock.set(2026, 12, 17, 9)
    created = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    upload_mandatory(app, client, applicant, created["id"])
    act(client, applicant, created["id"], "submit")
    clock.set(2026, 12, 17, 14)  # paid Thursday 14:00: the clock starts
    pay(app, created["id"])
    sla = client.get(f"/api/v1/applications/{created['id']}", headers=applicant).get_json()["sla"]
    assert {k: sla[k] for k in ("unit", "target_minutes", "due_at", "due_date", "state")} == {
        "unit": "working_minutes",
        "target_minutes": 240,
        "due_at": "2026-12-20T11:30:00+04:00",
        "due_date": "2026-12-20",
        "state": "on_track",
    }
    assert (sla["working_minutes_used"], sla["working_minutes_left"]) == (0, 240)
    due_at, due_date = _stored(app, created["id"])
    assert (due_at.isoformat(), due_date.isoformat()) == ("2026-12-20T07:30:00+00:00", "2026-12-20")

    # Sunday 20 declared a holiday: due on Monday at 11:30.
    holiday = {"date": "2026-12-20", "name_ar": "عطلة", "name_en": "Declared"}
    assert client.post("/api/v1/calendar/holidays", json=holiday, headers=admin).status_code == 201
    due_at, due_date = _stored(app, created["id"])
    assert (due_at.isoformat(), due_date.isoformat()) == ("2026-12-21T07:30:00+00:00", "2026-12-21")

    # New working hours 7:00–13:00: nothing on Thursday after 13:00; Monday 7:00 + 4 hours.
    change = {"work_starts": "07:00", "work_ends": "13:00"}
    assert client.patch(HOURS, json=change, headers=admin).status_code == 200
    due_at, _ = _stored(app, created["id"])
    assert due_at.isoformat() == "2026-12-21T07:00:00+00:00"
    listed = client.get("/api/v1/applications", headers=applicant).get_json()
    assert listed[0]["sla"]["due_at"] == "2026-12-21T11:00:00+04:00"

    # Monday 10:00: an hour left of four (a quarter): at risk; after 11:00, breached.
    clock.set(2026, 12, 21, 10)
    sla = client.get(f"/api/v1/applications/{created['id']}", headers=applicant).get_json()["sla"]
    assert (sla["state"], sla["working_minutes_left"]) == ("at_risk", 60)
    clock.set(2026, 12, 21, 12)
    sla = client.get(f"/api/v1/applications/{created['id']}", headers=applicant).get_json()["sla"]
    assert (sla["state"], sla["working_minutes_left"]) == ("breached", 0)
