"""The calendar API: due dates with the days skipped, holidays per year, admin overrides."""

from __future__ import annotations

import random
from datetime import date

import pytest
import sqlalchemy as sa

from app.calendar.models import CalendarDay
from app.calendar.services import authority_id_for, calendar_for
from app.extensions import db
from tests.factories import staff_headers


def test_due_date_from_a_thursday(client):
    response = client.get(
        "/api/v1/calendar/due-date", query_string={"start": "2026-12-17T09:00:00+04:00", "days": 3}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["due_date"] == "2026-12-22"
    assert body["due_at"].startswith("2026-12-22T23:59:59")
    assert [(s["date"], s["reason"]) for s in body["skipped"]] == [
        ("2026-12-18", "weekend"),
        ("2026-12-19", "weekend"),
    ]


def test_due_date_names_the_holidays_it_skipped(client):
    body = client.get(
        "/api/v1/calendar/due-date", query_string={"start": "2026-11-24T08:00:00+04:00", "days": 1}
    ).get_json()
    assert body["due_date"] == "2026-11-29"
    assert body["skipped"][0] == {
        "date": "2026-11-25",
        "reason": "holiday",
        "name_en": "National Day",
        "name_ar": body["skipped"][0]["name_ar"],
    }
    assert body["skipped"][0]["name_ar"]


def test_due_date_refuses_bad_input(client):
    response = client.get(
        "/api/v1/calendar/due-date",
        query_string={"start": "yesterday", "days": -1},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"start", "days"}


def due_date(client, language: str = "en", **query):
    return client.get(
        "/api/v1/calendar/due-date", query_string=query, headers={"Accept-Language": language}
    )


@pytest.mark.parametrize(
    "start",
    ["2026-12-17T09:00:00", "2026-12-17T09:00:00+04:00", "2026-12-17T05:00:00Z", "2026-12-17"],
)
def test_a_start_without_an_offset_or_time_is_muscat_local_time(client, start):
    body = due_date(client, start=start, days=3).get_json()
    assert body["due_date"] == "2026-12-22"
    assert body["start"].startswith("2026-12-17T") and body["start"].endswith("+04:00")


def test_a_naive_start_late_in_the_evening_is_that_muscat_day(client):
    # 23:30 in Muscat is still Saturday there (it would be Sunday if read as UTC): day 1 Sunday.
    body = due_date(client, start="2026-12-19T23:30:00", days=1).get_json()
    assert body["start"] == "2026-12-19T23:30:00+04:00" and body["due_date"] == "2026-12-20"
    assert due_date(client, start="2026-12-19", days=0).get_json()["due_date"] == "2026-12-20"


@pytest.mark.parametrize(
    "start", ["2019-12-31T09:00:00+04:00", "2041-01-01", "0001-01-01T00:00+05:00"]
)
def test_a_start_outside_the_calendar_is_422_naming_start(client, start):
    for language, text in (("en", "between 2020-01-01 and 2040-12-31"), ("ar", "يجب أن يقع بين")):
        response = due_date(client, language, start=start, days=1)
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert [e["field"] for e in problem["errors"]] == ["start"]
        assert text in problem["errors"][0]["detail"]


def test_a_target_running_past_the_calendar_is_422_naming_days(client):
    assert due_date(client, start="2040-12-20", days=5).status_code == 200
    for language, text in (
        ("en", "after 2040-12-31"),
        ("ar", "سيقع تاريخ الاستحقاق بعد 2040-12-31"),
    ):
        response = due_date(client, language, start="2040-12-20", days=30)
        assert response.status_code == 422
        problem = response.get_json()
        assert problem["code"] == "validation_failed"
        assert [e["field"] for e in problem["errors"]] == ["days"]
        assert text in problem["errors"][0]["detail"]


def test_days_beyond_a_year_are_refused(client):
    response = due_date(client, start="2026-12-17", days=366)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["days"]


def test_holidays_of_a_year(client):
    response = client.get(
        "/api/v1/calendar/holidays", query_string={"year": 2026, "page_size": 100}
    )
    assert response.status_code == 200
    names = {h["date"]: h["name_en"] for h in response.get_json()}
    assert names["2026-11-25"] == "National Day" and "2026-03-20" in names
    assert all(d.startswith("2026-") for d in names)
    assert "X-Pagination" in response.headers


def test_an_admin_moves_a_holiday_for_their_authority_only(app, client):
    _, admin = staff_headers(app, client, "admin", "ABG")
    # Moon sighted a day later: Islamic New Year moves from Thu 18 June to Sun 21 June 2026.
    assert client.delete("/api/v1/calendar/holidays/2026-06-18", headers=admin).status_code == 204
    declared = client.post(
        "/api/v1/calendar/holidays",
        json={"date": "2026-06-21", "name_ar": "رأس السنة الهجرية", "name_en": "Islamic New Year"},
        headers=admin,
    )
    assert declared.status_code == 201
    abg = {
        h["date"]
        for h in client.get(
            "/api/v1/calendar/holidays",
            query_string={"year": 2026, "authority": "ABG", "page_size": 100},
        ).get_json()
    }
    nbg = {
        h["date"]
        for h in client.get(
            "/api/v1/calendar/holidays",
            query_string={"year": 2026, "authority": "NBG", "page_size": 100},
        ).get_json()
    }
    assert "2026-06-21" in abg and "2026-06-18" not in abg
    assert "2026-06-18" in nbg and "2026-06-21" not in nbg
    due = client.get(
        "/api/v1/calendar/due-date",
        query_string={"start": "2026-06-17T10:00:00+04:00", "days": 1, "authority": "ABG"},
    ).get_json()
    assert due["due_date"] == "2026-06-18"
    due = client.get(
        "/api/v1/calendar/due-date",
        query_string={"start": "2026-06-20T10:00:00+04:00", "days": 1, "authority": "ABG"},
    ).get_json()
    assert due["due_date"] == "2026-06-22"
    again = client.post(
        "/api/v1/calendar/holidays",
        json={"date": "2026-06-21", "name_ar": "x", "name_en": "x"},
        headers=admin,
    )
    assert again.status_code == 409
    with app.app_context():
        audit = (
            db.session.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
        )
    assert audit[-2:] == ["holiday.cancelled", "holiday.declared"]


def test_the_calendar_table_agrees_with_the_python_calendar(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG")
    client.post(
        "/api/v1/calendar/holidays",
        json={
            "date": "2027-02-02",
            "name_ar": "عطلة",
            "name_en": "Declared",
            "all_authorities": True,
        },
        headers=admin,
    )
    rng = random.Random(7)
    with app.app_context():
        authority_id = authority_id_for("NBG")
        calendar = calendar_for(authority_id)
        instant = [(date(2026, 12, 17), 0), (date(2026, 12, 18), 0), (date(2027, 2, 2), 0)]
        randomly = [
            (date.fromordinal(date(2026, 1, 1).toordinal() + rng.randrange(0, 700)), d)
            for d in (rng.randrange(0, 40) for _ in range(50))
        ]
        for start, days in instant + randomly:
            start_number = (
                sa.select(CalendarDay.working_day_number)
                .where(CalendarDay.authority_id == authority_id, CalendarDay.day == start)
                .scalar_subquery()
            )
            start_is_working = (
                sa.select(CalendarDay.is_working)
                .where(CalendarDay.authority_id == authority_id, CalendarDay.day == start)
                .scalar_subquery()
            )
            # As bench/calendar.py: an instant target from a day off counts one working day.
            instant_from_a_day_off = sa.case(
                (sa.and_(sa.literal(days) == 0, sa.not_(start_is_working)), 1), else_=0
            )
            sql_due = db.session.scalar(
                sa.select(CalendarDay.day).where(
                    CalendarDay.authority_id == authority_id,
                    CalendarDay.is_working,
                    CalendarDay.working_day_number == start_number + days + instant_from_a_day_off,
                )
            )
            assert sql_due == calendar.add(start, days), (start, days)
        row = db.session.get(CalendarDay, (authority_id, date(2027, 2, 2)))
        assert (row.is_working, row.reason, row.name_en) == (False, "holiday", "Declared")


def test_only_admins_change_holidays(app, client):
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    response = client.post(
        "/api/v1/calendar/holidays",
        json={"date": "2027-02-02", "name_ar": "x", "name_en": "x"},
        headers=inspector,
    )
    assert response.status_code == 403
