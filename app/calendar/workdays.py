"""Working-day arithmetic over a fixed span of dates, in pure Python.

Rule: day 1 of a target is the first working day *after* the day the clock starts; a target of
N days ends at the end of the Nth working day. A target of 0 (instant) ends the day it starts
when that is a working day, else at the end of the next working day: a due date is never a
weekend or a holiday.

Each date carries a running number: how many working days there are from the first date of the
span up to and including it. Due dates and elapsed working days are then plain arithmetic on
those numbers — the same arithmetic that the `calendar_days` table allows in SQL.

Working time (targets in working minutes) is the authority's working hours (8:00–14:30 by
default, Asia/Muscat) on working days only. Each moment carries a running count of working
seconds, `working_second`: the full working days before its date, plus the part of its own
working day already gone (none before the start of work, all of it after the end; nothing on a
day off). Working minutes between two moments are then a subtraction, and a due moment the
inverse — again arithmetic that `calendar_days` allows in SQL (`app.calendar.sql`). A part of a
minute is not counted (a pause of 29 minutes 59 seconds pushes a target by 29 minutes).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.timeutil import MUSCAT

WEEKEND = frozenset({4, 5})  # Friday, Saturday (Monday is 0)
WORK_STARTS, WORK_ENDS = 8 * 60, 14 * 60 + 30  # the default working hours, minutes after midnight


@dataclass(frozen=True)
class DayOff:
    day: date
    reason: str  # "weekend" or "holiday"
    name_en: str | None = None
    name_ar: str | None = None


class OutOfRange(ValueError):
    """A date outside the span the calendar covers."""


class WorkingCalendar:
    """Working days between `first` and `last` (inclusive), given the holidays in that span,
    and the working hours of each working day (`work_starts` to `work_ends`, minutes after
    midnight, Asia/Muscat)."""

    def __init__(
        self,
        first: date,
        last: date,
        holidays: dict[date, tuple[str, str]],
        work_starts: int = WORK_STARTS,
        work_ends: int = WORK_ENDS,
    ) -> None:
        if not 0 <= work_starts < work_ends <= 24 * 60:
            raise ValueError("the working day must start before it ends, within the day")
        self.first, self.last = first, last
        self.work_starts, self.work_ends = work_starts, work_ends
        self._day_seconds = (work_ends - work_starts) * 60
        self.holidays = dict(holidays)
        size = (last - first).days + 1
        self._working = [False] * size
        self._number = [0] * size
        self._working_days: list[date] = []  # the working days, in order: number n is at n - 1
        count = 0
        for i in range(size):
            day = first + timedelta(days=i)
            if day.weekday() not in WEEKEND and day not in self.holidays:
                self._working[i] = True
                count += 1
                self._working_days.append(day)
            self._number[i] = count

    def _index(self, day: date) -> int:
        if not self.first <= day <= self.last:
            raise OutOfRange(f"{day} is outside the calendar ({self.first} to {self.last})")
        return (day - self.first).days

    def is_working(self, day: date) -> bool:
        return self._working[self._index(day)]

    def number(self, day: date) -> int:
        """Working days from the start of the span up to and including `day`."""
        return self._number[self._index(day)]

    def add(self, start: date, days: int) -> date:
        """The day a target of `days` working days ends, for a clock started on `start`."""
        if days < 0:
            raise ValueError("a target cannot be negative")
        if days == 0:
            if self.is_working(start):
                return start
            days = 1  # started on a day off: due the first working day after it, like day 1
        target = self.number(start) + days
        if target > len(self._working_days):
            raise OutOfRange(f"{days} working days after {start} is past {self.last}")
        return self._working_days[target - 1]

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end ≤ start)."""
        if end <= start:
            return 0
        return self.number(end) - self.number(start)

    def days_off(self, after: date, through: date) -> list[DayOff]:
        """Non-working days after `after` up to and including `through`, with their reason."""
        found = []
        day = after + timedelta(days=1)
        while day <= through:
            if not self.is_working(day):
                if day in self.holidays:
                    name_en, name_ar = self.holidays[day]
                    found.append(DayOff(day, "holiday", name_en, name_ar))
                else:
                    found.append(DayOff(day, "weekend"))
            day += timedelta(days=1)
        return found

    def working_days_in(self, start: date, end: date) -> list[date]:
        lo = bisect.bisect_left(self._working_days, start)
        hi = bisect.bisect_right(self._working_days, end)
        return self._working_days[lo:hi]

    def working_second(self, moment: datetime) -> int:
        """Working seconds from the start of the span up to `moment` (whole seconds)."""
        local = moment.astimezone(MUSCAT)
        i = self._index(local.date())
        number = self._number[i]
        if not self._working[i]:
            return number * self._day_seconds
        since_start = local.hour * 3600 + local.minute * 60 + local.second - self.work_starts * 60
        return (number - 1) * self._day_seconds + min(max(since_start, 0), self._day_seconds)

    def working_minutes(self, start: datetime, end: datetime) -> int:
        """Whole working minutes after `start` up to `end` (0 when end ≤ start)."""
        return max(self.working_second(end) - self.working_second(start), 0) // 60

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        """The moment (Asia/Muscat) a target of `minutes` working minutes started at `start`
        ends: the earliest moment by which that much working time has passed. A target that
        uses up a working day ends at the end of that day (14:30), not at the start of the next;
        one started outside working hours counts from the next start of work. A target of 0
        ends at once inside working hours, else at the next start of work."""
        if minutes < 0:
            raise ValueError("a target cannot be negative")
        target = self.working_second(start) + minutes * 60
        if minutes == 0:
            number, offset = divmod(target, self._day_seconds)
            number += 1
        else:
            number = -(-target // self._day_seconds)  # ceiling
            offset = target - (number - 1) * self._day_seconds
        if number > len(self._working_days):
            raise OutOfRange(f"{minutes} working minutes after {start} is past {self.last}")
        day = self._working_days[number - 1]
        return datetime.combine(day, time.min, tzinfo=MUSCAT) + timedelta(
            seconds=self.work_starts * 60 + offset
        )
