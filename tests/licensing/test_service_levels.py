"""Service levels (`licensing.service_levels`) on a fixed clock, against figures worked out by
hand below from the start and stop days of fifteen applications of North Al Batinah.

February 2027: Friday and Saturday are the weekend; no holiday from 24 January to 17 February.
Working-day numbers used below, in order: Sun 24 Jan, Mon 25 .. Thu 28, Sun 31, Mon 1 Feb ..
Thu 4, Sun 7 .. Thu 11, Sun 14 .. Wed 17 (today).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.calendar.services import calendar_for, ensure_calendar_tables
from app.catalogue.models import Service
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import MUSCAT
from licensing.service_levels import service_levels
from tests.clock import Clock
from tests.factories import make_staff
from tests.sla_rows import an_applicant, an_application, services_of
from tests.statements import statements

NOW = datetime(2027, 2, 17, 11, tzinfo=MUSCAT)  # a Wednesday
TODAY = date(2027, 2, 17)
A, B, C = "NBG-MUNLICENCE-RENEW", "NBG-HEALTHCARD-RENEW", "NBG-LEASE-RENEW"


def at(day: int, month: int = 2, hour: int = 9) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=MUSCAT)


@pytest.fixture
def now(monkeypatch):
    return Clock(monkeypatch).stop_at(NOW)


@pytest.fixture
def levels(app, now):
    """The fifteen applications; returns the two inspectors' ids."""
    aisha = make_staff(app, "inspector", "NBG", name="Aisha Al Balushi")["id"]
    badr = make_staff(app, "inspector", "NBG", name="Badr Al Hinai")["id"]
    with app.app_context():
        ensure_calendar_tables()
        applicant = an_applicant()
        service = {code: db.session.query(Service).filter_by(code=code).one() for code in (A, B, C)}
        calendar = calendar_for(service[A].authority_id)

        def make(code, target, start, stop=None, who=None, paused=None, resumed=None, due=True):
            clock = SlaClock(target).start(start)
            if paused:
                clock = clock.pause(paused)
            if resumed:
                clock = clock.resume(resumed, calendar)
            if stop:
                clock = clock.stop(stop, calendar)
            application = an_application(
                applicant, service[code], clock, clock.due_date(calendar, NOW) if due else None
            )
            application.assignee_id = who

        # Service A, target 3 working days.
        make(A, 3, at(7), at(9, hour=10), aisha)  # 1: 2 used, on time (due Wed 10)
        make(A, 3, at(7), at(10, hour=10), aisha)  # 2: 3 used, on time
        make(A, 3, at(7), at(11, hour=10), aisha)  # 3: 4 used, late
        make(A, 3, at(8), at(15, hour=10), badr)  # 4: 5 used, late (due Thu 11)
        # 5: 01:00 on Thursday 11 in Muscat, Wednesday evening in UTC; 0 used, on time
        make(A, 3, datetime(2027, 2, 10, 21, tzinfo=UTC), at(11, hour=12), badr)
        make(A, 3, at(14), None, badr)  # 6: open, due today: not breached
        make(A, 3, at(7))  # 7: open, breached (due Wed 10)
        make(A, 3, at(7), paused=at(8, hour=10))  # 8: paused since Mon 8: not breached
        # 9: paused Tue 9 to Sun 14 (3 working days), decided Mon 15: 6 - 3 = 3 used, due Mon 15
        make(A, 3, at(7), at(15, hour=10), paused=at(9, hour=10), resumed=at(14, hour=10))
        make(A, 3, at(24, 1), at(28, 1))  # 10: January; 4 used, late (due Wed 27)
        # Service B, target 5.
        make(B, 5, at(7), at(11, hour=10), aisha)  # 11: 4 used, on time
        make(B, 5, at(1), at(7, hour=10))  # 12: 4 used, on time (due Mon 8)
        make(B, 5, at(31, 1))  # 13: January; open, breached (due Sun 7)
        # Service C, no target (no due date).
        make(C, 6, at(7), at(14, hour=10), due=False)  # 14: 5 used
        make(C, 6, at(7), due=False)  # 15: open; never breached
        # Another authority's clock, which North Al Batinah's figures never count.
        an_application(applicant, services_of("ABG", 1)[0], SlaClock(3).start(at(7)))
        db.session.commit()
        yield {"aisha": aisha, "badr": badr, "authority": service[A].authority_id}


def figures(received, completed, on_time, late, percent, median, p90, open_, breached, paused):
    return {
        "received": received,
        "completed": completed,
        "completed_on_time": on_time,
        "completed_late": late,
        "on_time_percent": percent,
        "median_working_days": median,
        "p90_working_days": p90,
        "open": open_,
        "breached": breached,
        "paused": paused,
    }


SERVICE_A = figures(10, 7, 4, 3, 57.1, 3.0, 4.4, 3, 1, 1)  # used 0 2 3 3 4 4 5
SERVICE_B = figures(3, 2, 2, 0, 100.0, 4.0, 4.0, 1, 1, 0)  # used 4 4
SERVICE_C = figures(2, 1, 0, 0, None, 5.0, 5.0, 1, 0, 0)  # used 5


def by_code(rows) -> dict:
    return {row.pop("group")["code"]: row for row in rows}


def test_per_service(app, levels):
    with app.app_context():
        rows = service_levels(levels["authority"], None, None, "service")
        names = {s.code: (s.name_ar, s.name_en) for s in db.session.query(Service)}
    assert [row["group"]["code"] for row in rows] == [B, C, A]  # by code
    assert rows[2]["group"] == {"code": A, "name_ar": names[A][0], "name_en": names[A][1]}
    assert by_code(rows) == {A: SERVICE_A, B: SERVICE_B, C: SERVICE_C}


def test_per_department_family_and_month(app, levels):
    authority = levels["authority"]
    with app.app_context():
        departments = service_levels(authority, None, None, "department")
        families = service_levels(authority, None, None, "family")
        months = service_levels(authority, None, None, "month")
    assert [row["group"]["code"] for row in departments] == ["health", "licensing"]
    # licensing: A and C; used 0 2 3 3 4 4 5 5
    assert by_code(departments) == {
        "health": SERVICE_B,
        "licensing": figures(12, 8, 4, 3, 57.1, 3.5, 5.0, 4, 1, 1),
    }
    assert families[0]["group"] == {"code": "health_card", "name_ar": "البطاقات الصحية",
                                    "name_en": "Health cards"}  # fmt: skip
    assert by_code(families) == {"health_card": SERVICE_B, "lease": SERVICE_C,
                                 "municipal_licence": SERVICE_A}  # fmt: skip
    assert months[0]["group"] == {"code": "2027-01", "name_ar": "يناير 2027",
                                  "name_en": "January 2027"}  # fmt: skip
    assert by_code(months) == {
        "2027-01": figures(2, 1, 0, 1, 0.0, 4.0, 4.0, 1, 1, 0),  # applications 10 and 13
        "2027-02": figures(13, 9, 6, 2, 75.0, 4.0, 5.0, 4, 1, 1),  # used 0 2 3 3 4 4 4 5 5
    }


def test_per_inspector_the_unassigned_last(app, levels):
    with app.app_context():
        rows = service_levels(levels["authority"], None, None, "inspector")
    assert [row.pop("group") for row in rows] == [
        {"id": levels["aisha"], "name": "Aisha Al Balushi"},
        {"id": levels["badr"], "name": "Badr Al Hinai"},
        {"id": None, "name": None},
    ]
    assert rows == [
        figures(4, 4, 3, 1, 75.0, 3.5, 4.0, 0, 0, 0),  # 1 2 3 11: used 2 3 4 4
        figures(3, 2, 1, 1, 50.0, 2.5, 4.5, 1, 0, 0),  # 4 5 6: used 0 5
        figures(8, 4, 2, 1, 66.7, 4.0, 4.7, 4, 2, 1),  # 9 10 12 14 decided: used 3 4 4 5
    ]


def test_a_span_of_muscat_receipt_dates(app, levels):
    authority = levels["authority"]
    with app.app_context():
        late_week = service_levels(authority, date(2027, 2, 11), TODAY, "service")
        early = service_levels(authority, date(2027, 2, 1), date(2027, 2, 10), "service")
        one = service_levels(authority, None, None, "service", service=B)
    # From Thursday 11 (Muscat): 5, received at 01:00 that day, and 6.
    assert by_code(late_week) == {A: figures(2, 1, 1, 0, 100.0, 0.0, 0.0, 1, 0, 0)}
    # 1 to 10 February: A's 1 2 3 4 7 8 9 (not 5: Thursday in Muscat), B's 11 and 12, C's two.
    got = by_code(early)
    assert {code: row["received"] for code, row in got.items()} == {A: 7, B: 2, C: 2}
    assert got[A] == figures(7, 5, 3, 2, 60.0, 3.0, 4.6, 2, 1, 1)  # used 2 3 3 4 5
    assert by_code(one) == {B: SERVICE_B}


def test_counts_on_the_day_asked(app, levels):
    """On 9 February application 7 (due Wednesday 10) was not yet breached; 13 was (due 7)."""
    with app.app_context():
        rows = by_code(service_levels(levels["authority"], None, None, "service", date(2027, 2, 9)))
    assert rows[A]["breached"] == 0
    assert rows[B]["breached"] == 1


def test_one_statement(app, levels):
    with app.app_context():
        authority = levels["authority"]
        with statements(app) as sent:
            for group in ("department", "service", "inspector", "family", "month"):
                assert service_levels(authority, None, None, group)
    assert len(sent) == 5, sent.text()


def test_an_unknown_group_is_refused(app, levels):
    with app.app_context(), pytest.raises(ValueError):
        service_levels(levels["authority"], None, None, "colour")
