"""The SLA clock: a target in working days or in working minutes, or no target at all, that
starts, pauses, resumes and stops.

- starts when a request is complete (submitted, and paid where a fee is due first);
- pauses while the authority waits on the applicant; the working time spent paused pushes the
  due moment out by as much: for a day target, the working days after the day it paused up to
  and including the day it resumed; for a minute target, the working minutes between the
  pause and the resumption (`WorkingCalendar.working_minutes`);
- stops at the decision: met if that is no later than the due date (day target) or the due
  moment (minute target), breached otherwise.

Units (`SlaUnit`):
- `working_days`: days are Muscat dates; due on a date (`due_date`), at risk with one working
  day or less left.
- `working_minutes`: counted inside the authority's working hours (8:00–14:30 by default) on
  working days; due at a moment (`due_at`, and `due_date` its Muscat date), at risk with a
  quarter of the target or less left (rounded down: 60 of 240 minutes is at risk, 61 is not).
- `none`: no published target ("escalation only"): no due date, never at risk nor breached,
  neither met nor late (`SlaState.NO_TARGET` once started); the escalation sweep still acts on
  the idle threshold.

Working days and hours come only from a `WorkingCalendar`. The clock is plain data (values that
a model stores in columns) with no I/O, so every rule is tested on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from app.calendar.workdays import WorkingCalendar
from app.timeutil import MUSCAT


class SlaUnit(enum.StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_MINUTES = "working_minutes"
    NONE = "none"  # no published target: escalation only


class SlaState(enum.StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # one working day or less left; a quarter of a minute target or less
    BREACHED = "breached"
    MET = "met"
    NO_TARGET = "no_target"  # started, with no target to meet or miss


AT_RISK_SHARE = 4  # a minute target is at risk with 1/AT_RISK_SHARE of it or less left


class ClockError(ValueError):
    """An action the clock's current state does not allow (pausing a stopped clock, ...)."""


@dataclass(frozen=True)
class SlaStatus:
    target_days: int | None
    started_at: datetime | None
    due_date: date | None
    working_days_used: int
    working_days_left: int | None
    paused: bool
    state: SlaState
    unit: SlaUnit = SlaUnit.WORKING_DAYS
    target_minutes: int | None = None
    due_at: datetime | None = None  # minute targets only
    working_minutes_used: int | None = None  # minute targets only
    working_minutes_left: int | None = None  # minute targets only


def _day(moment: datetime) -> date:
    return moment.astimezone(MUSCAT).date()


@dataclass(frozen=True)
class SlaClock:
    target_days: int | None
    started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_days: int = 0  # working days of pauses already ended
    stopped_at: datetime | None = None
    unit: SlaUnit = SlaUnit.WORKING_DAYS
    target_minutes: int | None = None  # for a `working_minutes` target
    paused_minutes: int = 0  # working minutes of pauses already ended

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_at is None and self.paused_at is None

    @property
    def in_minutes(self) -> bool:
        return self.unit == SlaUnit.WORKING_MINUTES

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
        days = calendar.between(_day(self.paused_at), _day(at))
        minutes = calendar.working_minutes(self.paused_at, at) if self.in_minutes else 0
        return replace(
            self,
            paused_at=None,
            paused_days=self.paused_days + days,
            paused_minutes=self.paused_minutes + minutes,
        )

    def stop(self, at: datetime, calendar: WorkingCalendar) -> SlaClock:
        if self.started_at is None or self.stopped_at is not None:
            raise ClockError("only a started clock can stop")
        clock = self.resume(at, calendar) if self.paused_at is not None else self
        return replace(clock, stopped_at=at)

    def due_at(self, calendar: WorkingCalendar, now: datetime) -> datetime | None:
        """The due moment of a minute target (None for the other units); while paused, as if
        the applicant answered now."""
        if self.started_at is None or not self.in_minutes:
            return None
        pushed = self.paused_minutes
        if self.paused_at is not None:
            pushed += calendar.working_minutes(self.paused_at, now)
        return calendar.add_minutes(self.started_at, self.target_minutes + pushed)

    def due_date(self, calendar: WorkingCalendar, now: datetime) -> date | None:
        """The due date (of a minute target: the Muscat date of its due moment); while paused,
        as if the applicant answered today. None without a target."""
        if self.started_at is None or self.unit == SlaUnit.NONE:
            return None
        if self.in_minutes:
            return _day(self.due_at(calendar, now))
        pushed = self.paused_days
        if self.paused_at is not None:
            pushed += calendar.between(_day(self.paused_at), _day(now))
        return calendar.add(_day(self.started_at), self.target_days + pushed)

    def _last_ran(self, now: datetime) -> datetime:
        """The moment the clock last ran: the stop, the start of the current pause, or now."""
        if self.stopped_at is not None:
            return self.stopped_at
        return self.paused_at if self.paused_at is not None else now

    def status(self, calendar: WorkingCalendar, now: datetime) -> SlaStatus:
        """Where the clock stands at `now`."""
        target_days = self.target_days if self.unit == SlaUnit.WORKING_DAYS else None
        if self.started_at is None:
            return SlaStatus(
                target_days,
                None,
                None,
                0,
                target_days,
                False,
                SlaState.NOT_STARTED,
                unit=self.unit,
                target_minutes=self.target_minutes if self.in_minutes else None,
                working_minutes_used=0 if self.in_minutes else None,
                working_minutes_left=self.target_minutes if self.in_minutes else None,
            )
        first, last_ran = _day(self.started_at), self._last_ran(now)
        last = _day(last_ran)
        days_used = max(calendar.between(first, last) - self.paused_days, 0)
        paused = self.paused_at is not None
        if self.unit == SlaUnit.NONE:
            return SlaStatus(
                None, self.started_at, None, days_used, None, paused, SlaState.NO_TARGET, self.unit
            )
        if self.in_minutes:
            return self._minute_status(calendar, now, last_ran, days_used)
        left = max(self.target_days - days_used, 0)
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
            working_days_used=days_used,
            working_days_left=left,
            paused=paused,
            state=state,
        )

    def _minute_status(
        self, calendar: WorkingCalendar, now: datetime, last_ran: datetime, days_used: int
    ) -> SlaStatus:
        target = self.target_minutes
        used = max(calendar.working_minutes(self.started_at, last_ran) - self.paused_minutes, 0)
        left = max(target - used, 0)
        due_when_last_ran = calendar.add_minutes(self.started_at, target + self.paused_minutes)
        # Whole seconds, as the working time is counted (and as SQL compares them).
        if last_ran.replace(microsecond=0) > due_when_last_ran:
            state = SlaState.BREACHED
        elif self.stopped_at is not None:
            state = SlaState.MET
        elif left * AT_RISK_SHARE <= target:
            state = SlaState.AT_RISK
        else:
            state = SlaState.ON_TRACK
        due_at = self.due_at(calendar, now)
        return SlaStatus(
            target_days=None,
            started_at=self.started_at,
            due_date=_day(due_at),
            working_days_used=days_used,
            working_days_left=None,
            paused=self.paused_at is not None,
            state=state,
            unit=self.unit,
            target_minutes=target,
            due_at=due_at,
            working_minutes_used=used,
            working_minutes_left=left,
        )
