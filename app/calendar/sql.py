"""The SLA clock's rules (`app.sla`) as SQL over the `calendar_days` table.

Each date of an authority's table carries its running working-day number, so for a clock that
started on day S with a target of T working days and P paused working days:

- the due date is the working day numbered number(S) + T + P — except an instant target
  (T + P = 0), due on S itself when S is a working day, else on the next one (number(S) + 1);
- the working days used up to day L are number(L) - number(S) - P (never below 0);
- L is after the due date when number(L) > the due number, or number(L) equals it and L is a
  day off (the days off after a working day share its number).

Moments are stored in UTC; `muscat_day` turns one into its Asia/Muscat date in SQL.

Working minutes (targets in minutes, inside an authority's working hours `work_starts` to
`work_ends`, minutes after midnight) follow `WorkingCalendar.working_second`: a moment on day D
is worth, in working seconds from the start of the table,
- number(D) × the working day's length in seconds, when D is a day off;
- (number(D) − 1) × that length + the seconds of D's working hours already gone, on a working
  day (0 before work starts, all of them after it ends);
and the whole working minutes between two moments are the difference, divided by 60 and
rounded down, never below 0 (`working_minutes_between`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.calendar.models import CalendarDay

DAYS = CalendarDay.__table__


class muscat_day(FunctionElement):  # noqa: N801 - used like a SQL function
    """The Asia/Muscat date of a UTC moment column."""

    type = sa.Date()
    inherit_cache = True
    name = "muscat_day"


@compiles(muscat_day)
def _muscat_day_postgresql(element, compiler, **kw) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Muscat') AS DATE)"


@compiles(muscat_day, "sqlite")
def _muscat_day_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps the UTC wall time and has no time zones; Muscat has been UTC+4, without
    # daylight saving, since 1920.
    return f"date({compiler.process(element.clauses, **kw)}, '+4 hours')"


def _on_day(model, column: sa.Column, day) -> sa.ScalarSelect:
    days = DAYS.alias()
    return (
        sa.select(days.c[column.name])
        .where(days.c.authority_id == model.authority_id, days.c.day == day)
        .correlate(model.__table__)  # nested two deep: name the table it belongs to
        .scalar_subquery()
    )


def due_number(start_number, start_is_working, pushed_days) -> sa.ColumnElement:
    """The working-day number of the due date of `pushed_days` (target + paused) days."""
    instant_from_a_day_off = sa.case(
        (sa.and_(pushed_days == 0, sa.not_(start_is_working)), 1), else_=0
    )
    return start_number + pushed_days + instant_from_a_day_off


def is_after_due(last_number, last_is_working, due: sa.ColumnElement) -> sa.ColumnElement:
    """Whether the day numbered `last_number` comes after the working day numbered `due`."""
    return sa.or_(last_number > due, sa.and_(last_number == due, sa.not_(last_is_working)))


def current_due_date(model, today: date) -> sa.ScalarSelect:
    """The due date of each started clock of `model` (a `SlaTracked` table), as
    `SlaClock.due_date` answers it on `today`: while paused, as if the applicant answered today.
    A correlated subquery, for an UPDATE of a few rows; NULL past the end of the calendar."""
    start = muscat_day(model.sla_started_at)
    paused_number = _on_day(model, DAYS.c.working_day_number, muscat_day(model.sla_paused_at))
    today_number = _on_day(model, DAYS.c.working_day_number, sa.literal(today, sa.Date))
    pausing = sa.case(
        (
            sa.and_(model.sla_paused_at.is_not(None), today_number > paused_number),
            today_number - paused_number,
        ),
        else_=0,
    )
    due = due_number(
        _on_day(model, DAYS.c.working_day_number, start),
        _on_day(model, DAYS.c.is_working, start),
        model.sla_target_days + model.sla_paused_days + pausing,
    )
    days = DAYS.alias()
    return (
        sa.select(days.c.day)
        .where(
            days.c.authority_id == model.authority_id,
            days.c.is_working,
            days.c.working_day_number == due,
        )
        .correlate(model.__table__)
        .scalar_subquery()
    )


class muscat_second_of_day(FunctionElement):  # noqa: N801 - used like a SQL function
    """The seconds since Asia/Muscat midnight of a UTC moment (whole seconds), an integer."""

    type = sa.Integer()
    inherit_cache = True
    name = "muscat_second_of_day"


@compiles(muscat_second_of_day)
def _muscat_second_postgresql(element, compiler, **kw) -> str:
    moment = compiler.process(element.clauses, **kw)
    return (
        f"CAST(FLOOR(EXTRACT(EPOCH FROM CAST(({moment} AT TIME ZONE 'Asia/Muscat') AS TIME)))"
        " AS INTEGER)"
    )


@compiles(muscat_second_of_day, "sqlite")
def _muscat_second_sqlite(element, compiler, **kw) -> str:
    # The UTC wall time shifted by Muscat's +4 hours (no daylight saving since 1920), as Unix
    # seconds, modulo a day.
    moment = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', {moment}, '+4 hours') AS INTEGER) % 86400)"


def working_second(day_number, day_is_working, moment, work_starts, work_ends) -> sa.ColumnElement:
    """The working seconds from the start of the table up to `moment` (a UTC moment
    expression), given the `calendar_days` row of its Muscat date (`day_number`,
    `day_is_working`: columns of a join, or scalar subqueries) and the working hours
    (`work_starts`, `work_ends`: minutes after midnight, literals or columns of `authorities`).
    As `WorkingCalendar.working_second`."""
    # As integers: PostgreSQL would multiply the SMALLINT columns as SMALLINT (14:30 is 52,200 s).
    work_starts, work_ends = sa.cast(work_starts, sa.Integer), sa.cast(work_ends, sa.Integer)
    length = (work_ends - work_starts) * 60
    since_start = muscat_second_of_day(moment) - work_starts * 60
    gone = sa.case((since_start <= 0, 0), (since_start >= length, length), else_=since_start)
    return sa.case((day_is_working, (day_number - 1) * length + gone), else_=day_number * length)


def _day_column(authority_id, column: sa.Column, moment) -> sa.ScalarSelect:
    days = DAYS.alias()
    return (
        sa.select(days.c[column.name])
        .where(days.c.authority_id == authority_id, days.c.day == muscat_day(moment))
        .scalar_subquery()
    )


def working_minutes_between(authority_id, start, end, work_starts, work_ends) -> sa.ColumnElement:
    """The whole working minutes after `start` up to `end` (0 when end is not after start) for
    the authority's calendar and working hours, as `WorkingCalendar.working_minutes` answers.

    `authority_id`, `start` and `end` are SQL expressions (columns of the outer query, or
    literals: `sa.literal(moment, UTCDateTime())`); `work_starts` and `work_ends` minutes after
    midnight (the `authorities` columns `work_starts_minute` and `work_ends_minute`, or
    integers). Each moment's `calendar_days` row is read by a scalar subquery on the table's
    key (authority, day), so the expression fits a set-based SELECT or UPDATE over many rows;
    NULL when a moment falls outside the calendar's span. PostgreSQL and SQLite."""

    def at(moment) -> sa.ColumnElement:
        return working_second(
            _day_column(authority_id, DAYS.c.working_day_number, moment),
            _day_column(authority_id, DAYS.c.is_working, moment),
            moment,
            work_starts,
            work_ends,
        )

    spent = at(end) - at(start)
    return sa.case((spent > 0, spent // 60), else_=0)
