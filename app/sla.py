"""The SLA clock: a target in working days that starts, pauses, resumes and stops.

- starts when a request is complete (submitted, and paid where a fee is due first);
- pauses while the authority waits on the applicant; the working days spent paused push the
  due date out by as many working days (paused on day P, resumed on day R: the working days
  after P up to and including R);
- stops at the decision: met if that day is on or before the due date, breached otherwise.

Days are Muscat dates; working days come only from a `WorkingCalendar`. The clock is plain data
(five values that a model stores in columns) with no I/O, so every rule is tested on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from app.calendar.workdays import WorkingCalendar
from app.timeutil import MUSCAT


class SlaState(enum.StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # one working day or less left
    BREACHED = "breached"
    MET = "met"


class ClockError(ValueError):
    """An action the clock's current state does not allow (pausing a stopped clock, ...)."""


@dataclass(frozen=True)
class SlaStatus:
    target_days: int
    started_at: datetime | None
    due_date: date | None
    working_days_used: int
    working_days_left: int
    paused: bool
    state: SlaState


def _day(moment: datetime) -> date:
    return moment.astimezone(MUSCAT).date()


@dataclass(frozen=True)
class SlaClock:
    target_days: int
    started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_days: int = 0  # working days of pauses already ended
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_at is None and self.paused_at is None

    def start(self, at: datetime) -> SlaClock:
        if self.started_at is not None:
            raise ClockError("the clock has already started")
        return replace(self, started_at=at)

    def pause(self, at: datetime) -> SlaClock:
        if not self.running:
            raise ClockError("only a running clock can pause")
        return replace(self, paused_at=at)

    def resume(self, at: datetime, calendar: WorkingCalendar) -> SlaClock:
        if self.paused_at is None or self.stopped_at is not None:
            raise ClockError("only a paused clock can resume")
        spent = calendar.between(_day(self.paused_at), _day(at))
        return replace(self, paused_at=None, paused_days=self.paused_days + spent)

    def stop(self, at: datetime, calendar: WorkingCalendar) -> SlaClock:
        if self.started_at is None or self.stopped_at is not None:
            raise ClockError("only a started clock can stop")
        clock = self.resume(at, calendar) if self.paused_at is not None else self
        return replace(clock, stopped_at=at)

    def due_date(self, calendar: WorkingCalendar, now: datetime) -> date | None:
        """The due date; while paused, as if the applicant answered today."""
        if self.started_at is None:
            return None
        pushed = self.paused_days
        if self.paused_at is not None:
            pushed += calendar.between(_day(self.paused_at), _day(now))
        return calendar.add(_day(self.started_at), self.target_days + pushed)

    def status(self, calendar: WorkingCalendar, now: datetime) -> SlaStatus:
        """Where the clock stands at `now`."""
        if self.started_at is None:
            return SlaStatus(
                self.target_days, None, None, 0, self.target_days, False, SlaState.NOT_STARTED
            )
        first = _day(self.started_at)
        # The day the clock last ran: the stop, the start of the current pause, or today.
        if self.stopped_at is not None:
            last = _day(self.stopped_at)
        elif self.paused_at is not None:
            last = _day(self.paused_at)
        else:
            last = _day(now)
        used = max(calendar.between(first, last) - self.paused_days, 0)
        left = max(self.target_days - used, 0)
        due_when_last_ran = calendar.add(first, self.target_days + self.paused_days)
        if last > due_when_last_ran:
            state = SlaState.BREACHED
        elif self.stopped_at is not None:
            state = SlaState.MET
        elif left <= 1:
            state = SlaState.AT_RISK
        else:
            state = SlaState.ON_TRACK
        return SlaStatus(
            target_days=self.target_days,
            started_at=self.started_at,
            due_date=self.due_date(calendar, now),
            working_days_used=used,
            working_days_left=left,
            paused=self.paused_at is not None,
            state=state,
        )
