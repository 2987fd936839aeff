"""A holiday declared or cancelled moves the stored due dates of the running clocks it falls in:
the work queue's order and its `sla_state` filter then agree with the live `sla`."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from app.calendar.services import calendar_for, ensure_calendar_tables
from app.catalogue.seed import seed_catalogue
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import MUSCAT
from licensing.models import Application
from licensing.queue_bands import refresh_queue_bands
from refunds.models import Refund
from tests.clock import Clock
from tests.factories import staff_headers
from tests.sla_rows import a_refund, an_applicant, an_application, services_of

HOLIDAY = {"date": "2026-12-23", "name_ar": "عطلة رسمية", "name_en": "Declared holiday"}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def muscat(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=MUSCAT)


@pytest.fixture
def clocks(app, clock):
    """Clocks of North Al Batinah (and one of Al Buraimi) around Wednesday 23 December 2026."""
    frozen = clock  # the fixture; `clock` below is an SLA clock
    frozen.set(2026, 12, 21, 12)
    with app.app_context():
        seed_catalogue()
        ensure_calendar_tables()
        applicant = an_applicant()
        service = services_of("NBG", 1)[0]
        other = services_of("ABG", 1)[0]

        def started(when: datetime, days: int, service=service) -> SlaClock:
            return SlaClock(days).start(when)

        def stored(clock: SlaClock, authority_id: int) -> date:
            return clock.due_date(calendar_for(authority_id), frozen.now)

        def application(clock: SlaClock, service=service) -> int:
            due = stored(clock, service.authority_id)
            return an_application(applicant, service, clock, due).id

        made = {
            # Thursday 17, 7 days: Sun 20 ... Mon 28.
            "spans": application(started(muscat(12, 17), 7)),
            # Thursday 24, 2 days: Sun 27, Mon 28 — after the holiday.
            "after": application(started(muscat(12, 24), 2)),
            # Paused on Sunday 20: due as if the applicant answered today.
            "paused": application(started(muscat(12, 17), 7).pause(muscat(12, 20))),
            "decided": application(
                started(muscat(12, 17), 7).stop(muscat(12, 21), calendar_for(service.authority_id))
            ),
            "other_authority": application(started(muscat(12, 17), 7, other), other),
        }
        spans = db.session.get(Application, made["spans"])
        refund_clock = started(muscat(12, 17), 10)
        made["refund"] = a_refund(
            spans, refund_clock, stored(refund_clock, service.authority_id)
        ).id
        db.session.commit()
        yield made


def stored_due_dates(app, made) -> dict[str, date]:
    with app.app_context():
        db.session.remove()
        found = {
            name: db.session.get(Refund if name == "refund" else Application, id_).sla_due_date
            for name, id_ in made.items()
        }
        db.session.remove()
        return found


def assert_stored_as_live(app, made, now: datetime) -> None:
    """Every running clock's stored due date is the one its live `sla` shows."""
    with app.app_context():
        db.session.remove()
        for name, id_ in made.items():
            record = db.session.get(Refund if name == "refund" else Application, id_)
            if record.sla_stopped_at is None:
                assert record.sla_due_date == record.sla_status(now).due_date, name
        db.session.remove()


def queue(client, headers, **query) -> list[int]:
    response = client.get(
        "/api/v1/applications", query_string={"page_size": 100, **query}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return [(a["id"], a["sla"]["due_date"], a["sla"]["state"]) for a in response.get_json()]


def test_a_declared_holiday_moves_running_due_dates_out_and_its_cancellation_back(
    app, client, clock, clocks
):
    _, admin = staff_headers(app, client, "admin", "NBG")
    _, head = staff_headers(app, client, "department_head", "NBG")
    before = stored_due_dates(app, clocks)
    assert before["spans"] == date(2026, 12, 28)
    assert before["paused"] == date(2026, 12, 29)  # Sun 20 to Mon 21 paused: one day out
    assert before["refund"] == date(2026, 12, 31)

    assert client.post("/api/v1/calendar/holidays", json=HOLIDAY, headers=admin).status_code == 201

    after = stored_due_dates(app, clocks)
    assert after["spans"] == date(2026, 12, 29)
    assert after["paused"] == date(2026, 12, 30)
    assert after["refund"] == date(2027, 1, 3)  # Thu 31, then Fri 1 and Sat 2 January off
    # A clock that started after the holiday, a decided one and another authority's: unchanged.
    for name in ("after", "decided", "other_authority"):
        assert after[name] == before[name], name
    assert_stored_as_live(app, clocks, clock.now)

    clock.set(2026, 12, 29, 9)  # Tuesday: "spans" is due today, "after" was due yesterday
    with app.app_context():  # the queue's bands refreshed, as every 15 minutes (jobs/schedule.py)
        refresh_queue_bands()
        db.session.commit()
    assert queue(client, head, sla_state="breached") == [
        (clocks["after"], "2026-12-28", "breached")
    ]
    assert queue(client, head, sla_state="at_risk") == [(clocks["spans"], "2026-12-29", "at_risk")]
    order = [id_ for id_, _, _ in queue(client, head)]
    assert (
        order.index(clocks["after"]) < order.index(clocks["spans"]) < order.index(clocks["paused"])
    )

    assert client.delete("/api/v1/calendar/holidays/2026-12-23", headers=admin).status_code == 204

    again = stored_due_dates(app, clocks)
    assert again["spans"] == date(2026, 12, 28)
    assert again["refund"] == date(2026, 12, 31)
    # Paused since Sunday 20, answered today (Tuesday 29) at the earliest: 7 working days out,
    # 14 in all: Sun 20 ... Thu 31, Sun 3, Mon 4, Wed 6 (Isra' and Mi'raj on Tue 5), Thu 7.
    assert again["paused"] == date(2027, 1, 7)
    assert_stored_as_live(app, clocks, clock.now)
    breached = queue(client, head, sla_state="breached")
    assert [id_ for id_, _, _ in breached] == [clocks["spans"], clocks["after"]]
    assert {due for _, due, _ in breached} == {"2026-12-28"}
    assert queue(client, head, sla_state="at_risk") == []


def test_a_holiday_for_all_authorities_moves_every_authoritys_due_dates(app, client, clocks):
    _, admin = staff_headers(app, client, "admin", "NBG")
    before = stored_due_dates(app, clocks)
    declared = client.post(
        "/api/v1/calendar/holidays", json={**HOLIDAY, "all_authorities": True}, headers=admin
    )
    assert declared.status_code == 201
    after = stored_due_dates(app, clocks)
    assert after["other_authority"] == before["other_authority"].replace(day=29)
    assert after["spans"] == date(2026, 12, 29)
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Application))
    assert count == 5
