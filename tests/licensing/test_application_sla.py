"""An application's `sla` through the API: every documented key with its value, day by day, and
a request for information that pauses the clock and moves the due date out."""

from __future__ import annotations

import pytest

from tests.clock import Clock
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, pay, upload_mandatory

SLA_KEYS = {
    "target_days",
    "started_at",
    "due_date",
    "working_days_used",
    "working_days_left",
    "paused",
    "state",
}
# Issue 15: the fields of a target in working minutes, as a day target shows them.
OF_A_DAY_TARGET = {
    "unit": "working_days",
    "target_minutes": None,
    "due_at": None,
    "working_minutes_used": None,
    "working_minutes_left": None,
}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def sla_of(client, headers, application_id):
    response = client.get(f"/api/v1/applications/{application_id}", headers=headers)
    assert response.status_code == 200
    sla = response.get_json()["sla"]
    assert set(sla) == SLA_KEYS | set(OF_A_DAY_TARGET)
    assert {key: sla.pop(key) for key in OF_A_DAY_TARGET} == OF_A_DAY_TARGET
    return sla


def test_the_sla_counts_working_days_and_a_request_for_information_moves_the_due_date(
    app, client, clock
):
    _, applicant = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    clock.set(2026, 12, 17, 9)  # Thursday
    created = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    upload_mandatory(app, client, applicant, created["id"])
    act(client, applicant, created["id"], "submit")
    assert sla_of(client, applicant, created["id"]) == {
        "target_days": 7,  # the lease's target: 7 working days
        "started_at": None,  # not before the fee is paid
        "due_date": None,
        "working_days_used": 0,
        "working_days_left": 7,
        "paused": False,
        "state": "not_started",
    }

    clock.set(2026, 12, 17, 10)
    pay(app, created["id"])
    # Day 1 is Sunday 20 (Fri 18, Sat 19 weekend); day 7 is Monday 28.
    clock.set(2026, 12, 21, 12)  # Monday: Sun 20 and Mon 21 used
    assert sla_of(client, applicant, created["id"]) == {
        "target_days": 7,
        "started_at": "2026-12-17T10:00:00+04:00",
        "due_date": "2026-12-28",
        "working_days_used": 2,
        "working_days_left": 5,
        "paused": False,
        "state": "on_track",
    }

    clock.set(2026, 12, 22, 9)  # Tuesday (paid, the application is in review)
    asked = act(client, inspector, created["id"], "request_info", note="Send the title deed")
    assert asked.status_code == 200 and asked.get_json()["state"] == "info_requested"
    clock.set(2026, 12, 23, 15)  # Wednesday, still waiting on the applicant
    waiting = sla_of(client, applicant, created["id"])
    assert waiting["paused"] is True and waiting["state"] == "on_track"
    assert (waiting["working_days_used"], waiting["working_days_left"]) == (3, 4)  # frozen
    assert waiting["due_date"] == "2026-12-29"  # as if answered today: one day out

    clock.set(2026, 12, 24, 11)  # Thursday: the applicant answers
    answered = act(client, applicant, created["id"], "answer", note="Title deed attached")
    assert answered.status_code == 200 and answered.get_json()["state"] == "in_review"
    # Paused Tuesday, answered Thursday: Wed 23 and Thu 24 move the due date from Mon 28 to Wed 30.
    assert sla_of(client, inspector, created["id"]) == {
        "target_days": 7,
        "started_at": "2026-12-17T10:00:00+04:00",
        "due_date": "2026-12-30",
        "working_days_used": 3,
        "working_days_left": 4,
        "paused": False,
        "state": "on_track",
    }

    clock.set(2026, 12, 29, 9)  # Tuesday: one working day left
    late = sla_of(client, inspector, created["id"])
    assert (late["working_days_used"], late["working_days_left"], late["state"]) == (
        6,
        1,
        "at_risk",
    )
    clock.set(2026, 12, 31, 9)  # Thursday, the day after the due date
    overdue = sla_of(client, inspector, created["id"])
    assert (overdue["working_days_left"], overdue["state"]) == (0, "breached")
    assert overdue["due_date"] == "2026-12-30"
