"""Service levels (`licensing.service_levels`) on a fixed clock, against the figures worked out
by hand in tests/licensing/service_level_rows.py."""

from __future__ import annotations

from datetime import date

import pytest

from app.catalogue.models import Service
from app.extensions import db
from licensing.service_levels import service_levels
from tests.licensing.service_level_rows import (  # noqa: F401 - fixtures `levels` and `now`
    SERVICE_A,
    SERVICE_B,
    SERVICE_C,
    TODAY,
    A,
    B,
    C,
    fifteen_applications,
    figures,
    frozen_clock,
)
from tests.statements import statements


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


def test_a_minute_target_is_judged_on_its_due_moment(app, monkeypatch):
    """Three applications on a 4-hour target, started 10:00 on Sunday 31 May 2026 (due 14:00
    that day): one decided at 13:59 (on time), one at 14:01 the same day (late, although on its
    due date), one still open at 15:00 (breached)."""
    import datetime as dt

    import sqlalchemy as sa

    from app import uow
    from licensing.models import Application
    from tests.clock import Clock
    from tests.escalation.rows import add_application, muscat
    from tests.factories import make_staff

    applicant = make_staff(app, "auditor", "ABG")["id"]
    code = "ABG-STRAY-ANIMAL-CAPTURE"
    started, due_at = muscat(2026, 5, 31, 10, 0), muscat(2026, 5, 31, 14, 0)
    stops = {"IN-TIME": muscat(2026, 5, 31, 13, 59), "LATE": muscat(2026, 5, 31, 14, 1)}
    for reference in ("IN-TIME", "LATE", "OPEN"):
        add_application(
            app, applicant, code, started, target_minutes=240, due_at=due_at, reference=reference
        )
    with app.app_context(), uow.transaction():
        db.session.execute(sa.update(Application).values(sla_started_at=started))
        for reference, stopped in stops.items():
            db.session.execute(
                sa.update(Application)
                .where(Application.reference == reference)
                .values(sla_stopped_at=stopped, state="issued")
            )
    with app.app_context():
        authority = db.session.scalar(sa.select(Service.authority_id).where(Service.code == code))
        Clock(monkeypatch).stop_at(muscat(2026, 5, 31, 15, 0))
        [row] = service_levels(authority, None, None, "service", today=dt.date(2026, 5, 31))
    assert (row["received"], row["completed"]) == (3, 2)
    assert (row["completed_on_time"], row["completed_late"]) == (1, 1)
    assert (row["open"], row["breached"]) == (1, 1)
    assert row["on_time_percent"] == 50.0
