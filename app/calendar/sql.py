"""The SLA clock's rules (`app.sla`) as SQL over the `calendar_days` table.

Each date of an authority's table carries its running working-day number, so for a clock that
started on day S with a target of T working days and P paused working days:

- the due date is the working day numbered number(S) + T + P — except an instant target
  (T + P = 0), due on S itself when S is a working day, else on the next one (number(S) + 1);
- the working days used up to day L are number(L) - number(S) - P (never below 0);
- L is after the due date when number(L) > the due number, or number(L) equals it and L is a
  day off (the days off after a working day share its number).

Moments are stored in UTC; `muscat_day` turns one into its Asia/Muscat date in SQL.
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
