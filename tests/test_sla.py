"""The SLA clock on its own: start, pause, resume, stop, and where it stands at any moment."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla import ClockError, SlaClock, SlaState
from app.timeutil import MUSCAT
from tests.calendar.test_workdays import oman


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=MUSCAT)


def test_a_clock_not_started_says_so():
    status = SlaClock(5).status(oman(), at(date(2026, 12, 20)))
    assert (
        status.state == SlaState.NOT_STARTED
        and status.due_date is None
        and status.working_days_left == 5
    )


def test_running_clock_counts_used_and_left_working_days():
    clock = SlaClock(5).start(at(date(2026, 12, 17)))  # Thursday
    status = clock.status(oman(), at(date(2026, 12, 21)))  # Monday: Sun, Mon used
    assert status.due_date == date(2026, 12, 24)  # Sun Mon Tue Wed Thu
    assert (status.working_days_used, status.working_days_left) == (2, 3)
    assert status.state == SlaState.ON_TRACK and not status.paused


def test_one_day_left_is_at_risk_and_the_day_after_due_is_breached():
    clock = SlaClock(3).start(at(date(2026, 12, 17)))  # due Tuesday 22
    assert clock.status(oman(), at(date(2026, 12, 21))).state == SlaState.AT_RISK
    assert clock.status(oman(), at(date(2026, 12, 22), 23)).state == SlaState.AT_RISK
    breached = clock.status(oman(), at(date(2026, 12, 23), 8))
    assert breached.state == SlaState.BREACHED and breached.working_days_left == 0


def test_due_thursday_is_breached_on_the_friday_after():
    clock = SlaClock(4).start(at(date(2026, 12, 20)))  # Sun → due Thu 24
    assert clock.status(oman(), at(date(2026, 12, 25))).state == SlaState.BREACHED


def test_pause_pushes_the_due_date_by_the_working_days_paused():
    clock = SlaClock(5).start(at(date(2026, 12, 17)))  # due Thu 24
    paused = clock.pause(at(date(2026, 12, 21)))  # Monday
    while_paused = paused.status(oman(), at(date(2026, 12, 23)))  # Wednesday: Tue, Wed so far
    assert while_paused.paused and while_paused.due_date == date(2026, 12, 28)
    assert while_paused.working_days_used == 2  # frozen at the pause: Sun, Mon
    resumed = paused.resume(at(date(2026, 12, 23)), oman())
    assert resumed.paused_days == 2
    assert resumed.status(oman(), at(date(2026, 12, 23))).due_date == date(2026, 12, 28)


def test_stopping_on_or_before_due_is_met_after_is_breached():
    clock = SlaClock(3).start(at(date(2026, 12, 17)))
    assert (
        clock.stop(at(date(2026, 12, 22), 16), oman()).status(oman(), at(date(2027, 1, 5))).state
        == SlaState.MET
    )
    assert (
        clock.stop(at(date(2026, 12, 23)), oman()).status(oman(), at(date(2027, 1, 5))).state
        == SlaState.BREACHED
    )


def test_stopping_a_paused_clock_ends_the_pause():
    clock = SlaClock(3).start(at(date(2026, 12, 17))).pause(at(date(2026, 12, 20)))
    stopped = clock.stop(at(date(2026, 12, 24)), oman())
    assert stopped.paused_at is None and stopped.paused_days == 4
    assert stopped.status(oman(), at(date(2026, 12, 30))).state == SlaState.MET


def test_an_instant_clock_started_on_a_day_off_is_due_the_next_working_day():
    clock = SlaClock(0).start(at(date(2026, 12, 18), 20))  # Friday evening
    status = clock.status(oman(), at(date(2026, 12, 19)))  # Saturday
    assert status.due_date == date(2026, 12, 20)  # Sunday, never the Friday itself
    assert status.state == SlaState.AT_RISK and status.working_days_left == 0
    answered_sunday = clock.stop(at(date(2026, 12, 20), 9), oman())
    assert answered_sunday.status(oman(), at(date(2027, 1, 5))).state == SlaState.MET
    answered_monday = clock.stop(at(date(2026, 12, 21), 9), oman())
    assert answered_monday.status(oman(), at(date(2027, 1, 5))).state == SlaState.BREACHED


def test_an_instant_clock_started_on_a_working_day_is_due_that_day():
    clock = SlaClock(0).start(at(date(2026, 12, 17)))  # Thursday
    assert clock.status(oman(), at(date(2026, 12, 17), 15)).due_date == date(2026, 12, 17)
    assert clock.status(oman(), at(date(2026, 12, 20))).state == SlaState.BREACHED


@pytest.mark.parametrize(
    "action",
    [
        lambda c: c.start(at(date(2026, 12, 20))).start(at(date(2026, 12, 21))),
        lambda c: c.pause(at(date(2026, 12, 20))),
        lambda c: c.start(at(date(2026, 12, 20))).resume(at(date(2026, 12, 21)), oman()),
        lambda c: c.stop(at(date(2026, 12, 20)), oman()),
        lambda c: (
            c.start(at(date(2026, 12, 20)))
            .stop(at(date(2026, 12, 21)), oman())
            .pause(at(date(2026, 12, 22)))
        ),
    ],
)
def test_actions_the_state_does_not_allow_are_refused(action):
    with pytest.raises(ClockError):
        action(SlaClock(3))


days = st.dates(min_value=date(2021, 1, 1), max_value=date(2037, 12, 31))


@settings(max_examples=300, deadline=None)
@given(days, st.integers(1, 60), st.integers(0, 40), st.integers(0, 40))
def test_pausing_for_k_working_days_moves_the_due_date_exactly_k(start, target, after, length):
    calendar = oman()
    pause_day = calendar.add(start, after)
    resume_day = calendar.add(pause_day, length)
    k = calendar.between(pause_day, resume_day)
    clock = SlaClock(target).start(at(start))
    before = clock.due_date(calendar, at(start))
    resumed = clock.pause(at(pause_day)).resume(at(resume_day), calendar)
    assert resumed.due_date(calendar, at(resume_day)) == calendar.add(before, k)
    assert k == length
