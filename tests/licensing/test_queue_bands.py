"""The staff queue's SLA bands (licensing.queue_bands): written with each due date, moved by the
refresh when the day turns or the calendar changes, and read by the `sla_state` filters."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.sla import SlaClock
from licensing.models import Application
from licensing.queue_bands import AT_RISK, BREACHED, NO_DUE_DATE, ON_TRACK, refresh_queue_bands
from tests.clock import Clock
from tests.factories import staff_headers
from tests.sla_rows import an_applicant, an_application, services_of

QUEUE = "/api/v1/applications"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _band(app, application_id):
    with app.app_context():
        return db.session.get(Application, application_id).queue_band


def _in_queue(client, headers, sla_state):
    answer = client.get(f"{QUEUE}?sla_state={sla_state}&page_size=100", headers=headers)
    assert answer.status_code == 200
    return {item["id"] for item in answer.get_json()}


def test_a_due_date_writes_its_band_and_the_turning_day_moves_it(app, client, clock):
    # Wednesday 2 December 2026 in Muscat; the week's days off are Friday and Saturday, so the
    # next working day after Thursday the 3rd is Sunday the 6th.
    clock.set(2026, 12, 2, 10)
    _, inspector = staff_headers(app, client, "inspector")
    with app.app_context():
        service = services_of("NBG", 1)[0]
        started = dt.datetime(2026, 11, 29, 8, tzinfo=dt.UTC)
        due = {
            "sunday": dt.date(2026, 12, 6),
            "thursday": dt.date(2026, 12, 3),
            "last week": dt.date(2026, 11, 26),
            "none": None,
        }
        ids = {
            name: an_application(an_applicant(), service, SlaClock(3, started), day).id
            for name, day in due.items()
        }
        db.session.commit()
    assert {name: _band(app, n) for name, n in ids.items()} == {
        "sunday": ON_TRACK,
        "thursday": AT_RISK,
        "last week": BREACHED,
        "none": NO_DUE_DATE,
    }

    # Thursday: Sunday is now the next working day (at risk), nothing else moves.
    clock.set(2026, 12, 3, 9)
    with app.app_context():
        assert refresh_queue_bands() == 1
        db.session.commit()
    assert _band(app, ids["sunday"]) == AT_RISK
    assert _in_queue(client, inspector, "at_risk") >= {ids["sunday"], ids["thursday"]}

    # Friday: Thursday's is breached; before the refresh the queue still says at risk.
    clock.set(2026, 12, 4, 0)
    assert ids["thursday"] in _in_queue(client, inspector, "at_risk")
    with app.app_context():
        assert refresh_queue_bands() == 1
        db.session.commit()
    assert _band(app, ids["thursday"]) == BREACHED
    assert ids["thursday"] in _in_queue(client, inspector, "breached")
    assert ids["thursday"] not in _in_queue(client, inspector, "at_risk")
    with app.app_context():
        assert refresh_queue_bands() == 0  # nothing left to move


def test_a_declared_holiday_moves_the_bands_with_the_next_working_day(app, client, clock):
    clock.set(2026, 12, 2, 10)  # Wednesday; the next working day is Thursday the 3rd
    _, admin = staff_headers(app, client, "admin")
    started = dt.datetime(2026, 11, 30, 5, tzinfo=dt.UTC)
    stopped = dt.datetime(2026, 12, 1, 5, tzinfo=dt.UTC)
    with app.app_context():
        service = services_of("NBG", 1)[0]
        # A decided application keeps its due date (no running clock to move) and its band
        # follows it: due Sunday the 6th, on track while Thursday is a working day.
        decided = an_application(
            an_applicant(), service, SlaClock(3, started, None, 0, stopped), dt.date(2026, 12, 6)
        )
        db.session.commit()
        decided_id = decided.id
    assert _band(app, decided_id) == ON_TRACK
    declared = client.post(
        "/api/v1/calendar/holidays",
        json={"date": "2026-12-03", "name_ar": "عطلة", "name_en": "A holiday"},
        headers=admin,
    )
    assert declared.status_code == 201, declared.get_json()
    # Thursday is a holiday: Sunday the 6th is the next working day, so the 6th is at risk.
    with app.app_context():
        moved = db.session.get(Application, decided_id)
        assert (moved.sla_due_date, moved.queue_band) == (dt.date(2026, 12, 6), AT_RISK)
