"""The working-day rule, by worked examples and by properties that must hold for every date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar.services import FIRST_DAY, LAST_DAY, package_holidays, start_day
from app.calendar.workdays import OutOfRange, WorkingCalendar
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


def test_instant_target_on_a_working_day_ends_that_day():
    assert oman().add(date(2026, 12, 17), 0) == date(2026, 12, 17)  # Thursday


def test_instant_target_on_a_day_off_ends_the_next_working_day():
    assert oman().add(date(2026, 12, 18), 0) == date(2026, 12, 20)  # Friday → Sunday
    assert oman().add(date(2026, 12, 19), 0) == date(2026, 12, 20)  # Saturday → Sunday
    assert oman().add(date(2026, 11, 25), 0) == date(2026, 11, 29)  # National Day → Sunday


def test_a_target_past_the_end_of_the_calendar_is_out_of_range():
    with pytest.raises(OutOfRange):
        oman().add(LAST_DAY - timedelta(days=3), 10)
    with pytest.raises(OutOfRange):
        oman().add(FIRST_DAY - timedelta(days=1), 0)


days = st.dates(min_value=date(2021, 1, 1), max_value=date(2038, 12, 31))
targets = st.integers(min_value=0, max_value=120)


@cache
def with_declared_holidays(declared: frozenset[date]) -> WorkingCalendar:
    """Oman's calendar with the days an admin declared holidays (as `holidays_of` adds them)."""
    holidays = {**oman().holidays, **{day: ("Declared", "عطلة") for day in declared}}
    return WorkingCalendar(FIRST_DAY, LAST_DAY, holidays)


@settings(max_examples=300, deadline=None)
@given(days, targets, st.frozensets(days, max_size=3), st.integers(0, 10))
def test_a_due_date_is_never_a_weekend_or_holiday(start, n, declared, runs):
    # Some declared holidays fall right after the start, where they change the answer.
    declared |= {start + timedelta(days=i) for i in range(runs)}
    calendar = with_declared_holidays(frozenset(declared))
    result = calendar.add(start, n)
    assert result.weekday() not in (4, 5)
    assert result not in calendar.holidays and result not in declared
    assert result > start if n else result >= start
    if n == 0:  # instant: the start day itself when it is a working day, else the next one
        assert calendar.between(start, result) == (0 if calendar.is_working(start) else 1)


@settings(max_examples=300, deadline=None)
@given(days, st.integers(0, 60), st.integers(0, 60))
def test_adding_n_then_m_equals_adding_n_plus_m(start, n, m):
    calendar = oman()
    if n == 0 and not calendar.is_working(start):
        # Adding 0 from a day off already counts the next working day: it is day 1.
        assert calendar.add(start, 0) == calendar.add(start, 1)
    else:
        assert calendar.add(calendar.add(start, n), m) == calendar.add(start, n + m)


@settings(max_examples=300, deadline=None)
@given(days, st.integers(1, 120))  # 0 from a day off is the next working day, as tested above
def test_exactly_n_working_days_lie_between_start_and_due(start, n):
    calendar = oman()
    end = calendar.add(start, n)
    working = [
        d
        for d in (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
        if calendar.is_working(d)
    ]
    assert len(working) == n == calendar.between(start, end)
