"""Targets in working minutes (inside the working day, 8:00–14:30 by default, on working days
only) and services with no target, on the clock alone. Friday and Saturday are the weekend;
25 and 26 November 2026 are National Day (the `holidays` package)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.calendar.services import FIRST_DAY, LAST_DAY, package_holidays
from app.calendar.workdays import WorkingCalendar
from app.sla import SlaClock, SlaState, SlaUnit
from app.timeutil import MUSCAT
from tests.calendar.test_workdays import oman

MINUTES = SlaUnit.WORKING_MINUTES


def muscat(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MUSCAT)


def minutes_clock(target: int, start: datetime) -> SlaClock:
    return SlaClock(None, unit=MINUTES, target_minutes=target).start(start)


def due(target: int, start: datetime) -> datetime:
    return minutes_clock(target, start).due_at(oman(), start)


# The cases.
def test_four_hours_from_thursday_afternoon_are_due_sunday_late_morning():
    assert due(240, muscat(12, 17, 14)) == muscat(12, 20, 11, 30)  # Thu 14:00 → Sun 11:30


def test_thirty_minutes_from_twenty_past_two_on_sunday_are_due_monday_morning():
    assert due(30, muscat(12, 20, 14, 20)) == muscat(12, 21, 8, 20)


def test_started_on_a_holiday_it_counts_from_eight_on_the_next_working_day():
    # Wednesday 25 November (National Day); Thursday a holiday too, then the weekend.
    assert due(30, muscat(11, 25, 10)) == muscat(11, 29, 8, 30)
    assert due(390, muscat(11, 25, 10)) == muscat(11, 29, 14, 30)  # a whole day: its end


def test_started_before_work_it_counts_from_eight():
    assert due(60, muscat(12, 21, 6)) == muscat(12, 21, 9)


def test_started_after_work_it_counts_from_eight_on_the_next_working_day():
    assert due(60, muscat(12, 21, 20)) == muscat(12, 22, 9)
    assert due(60, muscat(12, 17, 14, 30)) == muscat(12, 20, 9)  # Thursday's end


def test_spanning_a_holiday_it_skips_it_and_the_weekend():
    # Tuesday 24 November 14:00: 30 minutes that day, 90 on Sunday 29.
    assert due(120, muscat(11, 24, 14)) == muscat(11, 29, 9, 30)


def test_a_target_that_uses_up_the_day_ends_at_half_past_two_not_at_eight_next_day():
    assert due(390, muscat(12, 21, 8)) == muscat(12, 21, 14, 30)


def test_other_working_hours_count_instead():
    calendar = WorkingCalendar(
        FIRST_DAY, LAST_DAY, package_holidays(FIRST_DAY.year, LAST_DAY.year), 7 * 60, 13 * 60
    )
    clock = minutes_clock(240, muscat(12, 17, 12))  # 60 minutes Thursday, 180 on Sunday
    assert clock.due_at(calendar, muscat(12, 17, 12)) == muscat(12, 20, 10)


def test_a_pause_pushes_the_due_moment_by_the_working_minutes_spent_paused():
    clock = minutes_clock(240, muscat(12, 20, 9))  # Sunday, due 13:00
    assert clock.due_at(oman(), muscat(12, 20, 9)) == muscat(12, 20, 13)
    paused = clock.pause(muscat(12, 20, 10))  # 60 minutes used
    # While paused, as if the applicant answered now: 180 minutes from now.
    assert paused.due_at(oman(), muscat(12, 20, 11)) == muscat(12, 20, 14)
    resumed = paused.resume(muscat(12, 21, 9), oman())  # 270 on Sunday + 60 on Monday
    assert resumed.paused_minutes == 330
    assert resumed.due_at(oman(), muscat(12, 21, 9)) == muscat(12, 21, 12)
    status = resumed.status(oman(), muscat(12, 21, 10))
    assert (status.working_minutes_used, status.working_minutes_left) == (120, 120)
    assert status.state == SlaState.ON_TRACK and status.due_date == date(2026, 12, 21)


def test_a_pause_over_the_weekend_pushes_nothing_for_the_days_off():
    clock = minutes_clock(60, muscat(12, 17, 14)).pause(muscat(12, 17, 14, 30))
    resumed = clock.resume(muscat(12, 20, 8), oman())
    assert resumed.paused_minutes == 0
    assert resumed.due_at(oman(), muscat(12, 20, 8)) == muscat(12, 20, 8, 30)


def test_at_risk_with_a_quarter_of_the_target_or_less_left():
    clock = minutes_clock(240, muscat(12, 20, 8))  # due 12:00
    assert clock.status(oman(), muscat(12, 20, 10, 59)).state == SlaState.ON_TRACK  # 61 left
    assert clock.status(oman(), muscat(12, 20, 11)).state == SlaState.AT_RISK  # 60 left
    assert clock.status(oman(), muscat(12, 20, 12)).state == SlaState.AT_RISK  # at the moment
    late = clock.status(oman(), muscat(12, 20, 12, 1))
    assert late.state == SlaState.BREACHED and late.working_minutes_left == 0


def test_breached_after_the_due_moment_even_on_a_day_off():
    clock = minutes_clock(30, muscat(12, 17, 14))  # Thursday, due 14:30
    assert clock.status(oman(), muscat(12, 17, 14, 30)).state == SlaState.AT_RISK
    assert clock.status(oman(), muscat(12, 18, 10)).state == SlaState.BREACHED  # Friday


def test_met_when_stopped_by_the_due_moment_and_breached_after():
    clock = minutes_clock(30, muscat(12, 20, 14, 20))  # due Monday 8:20
    met = clock.stop(muscat(12, 21, 8, 20), oman())
    assert met.status(oman(), muscat(12, 30, 10)).state == SlaState.MET
    late = clock.stop(muscat(12, 21, 8, 21), oman())
    status = late.status(oman(), muscat(12, 30, 10))
    assert status.state == SlaState.BREACHED and status.working_minutes_used == 31


def test_a_service_with_no_target_is_never_due_nor_breached():
    clock = SlaClock(None, unit=SlaUnit.NONE).start(muscat(1, 3, 9, year=2027))
    later = muscat(1, 17, 9, year=2027)
    status = clock.status(oman(), later)
    assert status.state == SlaState.NO_TARGET and status.due_date is None
    assert clock.due_date(oman(), later) is None and clock.due_at(oman(), later) is None
    # Still counted, for the escalation and the reports: 4, 6, 7, 10, 12, 13, 14 and 17 January
    # (the 5th and the 11th are holidays).
    assert status.working_days_used == 8
    stopped = clock.stop(later, oman()).status(oman(), later)
    assert stopped.state == SlaState.NO_TARGET


@pytest.mark.parametrize("minutes", [1, 29, 390, 391, 780, 5000])
def test_the_due_moment_is_exactly_the_target_of_working_minutes_later(minutes):
    start = muscat(12, 17, 13, 7)
    end = due(minutes, start)
    assert oman().working_minutes(start, end) == minutes
    # ... and the earliest such moment: a minute before, one is missing.
    assert oman().working_minutes(start, end - timedelta(minutes=1)) == minutes - 1
