"""The working-day rule, by worked examples and by properties that must hold for every date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar.services import FIRST_DAY, LAST_DAY, package_holidays, start_day
from app.calendar.workdays import WorkingCalendar
from app.timeutil import MUSCAT


@cache
def oman() -> WorkingCalendar:
    return WorkingCalendar(FIRST_DAY, LAST_DAY, package_holidays(FIRST_DAY.year, LAST_DAY.year))


def due(start: datetime, days: int) -> date:
    return oman().add(start_day(start), days)


# The README's worked examples.
def test_thursday_start_skips_the_weekend():
    assert due(datetime(2026, 12, 17, 9, 0, tzinfo=MUSCAT), 3) == date(2026, 12, 22)  # Tuesday


def test_sunday_start_with_one_day_is_due_monday():
    assert due(datetime(2026, 12, 20, 10, 0, tzinfo=MUSCAT), 1) == date(2026, 12, 21)


def test_the_clock_starts_on_the_muscat_date_not_the_utc_one():
    # Saturday 21:30 in Muscat: day 1 is Sunday. Saturday 21:30 UTC is Sunday 01:30 in Muscat.
    assert due(datetime(2026, 12, 19, 21, 30, tzinfo=MUSCAT), 1) == date(2026, 12, 20)
    assert due(datetime(2026, 12, 19, 21, 30, tzinfo=UTC), 1) == date(2026, 12, 21)


def test_national_day_holidays_are_skipped_with_their_names():
    calendar = oman()
    # Tuesday 2026-11-24 + 1: Wed 25 and Thu 26 are National Day, Fri-Sat weekend → Sunday 29.
    assert calendar.add(date(2026, 11, 24), 1) == date(2026, 11, 29)
    off = calendar.days_off(date(2026, 11, 24), date(2026, 11, 29))
    assert [(o.day.day, o.reason) for o in off] == [
        (25, "holiday"),
        (26, "holiday"),
        (27, "weekend"),
        (28, "weekend"),
    ]
    assert off[0].name_en == "National Day" and off[0].name_ar


def test_instant_target_ends_the_same_day():
    assert oman().add(date(2026, 12, 18), 0) == date(2026, 12, 18)


days = st.dates(min_value=date(2021, 1, 1), max_value=date(2038, 12, 31))
targets = st.integers(min_value=1, max_value=120)


@settings(max_examples=300, deadline=None)
@given(days, targets)
def test_a_due_date_is_never_a_weekend_or_holiday(start, n):
    result = oman().add(start, n)
    assert result.weekday() not in (4, 5)
    assert result not in oman().holidays
    assert result > start


@settings(max_examples=300, deadline=None)
@given(days, st.integers(0, 60), st.integers(0, 60))
def test_adding_n_then_m_equals_adding_n_plus_m(start, n, m):
    calendar = oman()
    assert calendar.add(calendar.add(start, n), m) == calendar.add(start, n + m)


@settings(max_examples=300, deadline=None)
@given(days, targets)
def test_exactly_n_working_days_lie_between_start_and_due(start, n):
    calendar = oman()
    end = calendar.add(start, n)
    working = [
        d
        for d in (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
        if calendar.is_working(d)
    ]
    assert len(working) == n == calendar.between(start, end)
