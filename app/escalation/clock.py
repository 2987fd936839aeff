"""The SLA state the ladder reads, in SQL, by the rule of `app.sla.SlaClock.status` for a
running clock (`today` is the last day it ran, `now` the sweep's moment):

- a target in working days (`due_at` NULL): breached when today is after the due date; at risk
  when not breached and one working day or less is left: the due date's working-day number
  minus today's is at most 1 (`calendar_days` numbers each working day; the days off after one
  share its number);
- a target in working minutes (`due_at`, the due moment): breached once `now` is past it; at
  risk when not breached and a quarter of the target or less is left, in working minutes
  (`app.calendar.sql.working_minutes_between`, inside the authority's working hours);
- no target (`due` NULL, escalation only), or a stopped or paused clock: neither.

Only these predicates and the candidates' bound know how a target is counted.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.sla import AT_RISK_SHARE


def breached(
    due: sa.ColumnElement,
    today: sa.ColumnElement,
    due_at: sa.ColumnElement,
    now: sa.ColumnElement,
) -> sa.ColumnElement:
    """Whether the running clock due on `due` (a date, NULL for none), or at `due_at` for a
    minute target, is breached on `today` at `now`."""
    return sa.case(
        (due_at.is_not(None), due_at < now),
        else_=sa.and_(due.is_not(None), due < today),
    )


def at_risk(
    due: sa.ColumnElement,
    due_number: sa.ColumnElement,
    today: sa.ColumnElement,
    today_number: sa.ColumnElement,
    due_at: sa.ColumnElement,
    now: sa.ColumnElement,
    target_minutes: sa.ColumnElement,
    minutes_left: sa.ColumnElement,
) -> sa.ColumnElement:
    """Whether the running clock is at risk and not yet breached: a day target due on `due`
    (working-day number `due_number`) with one working day or less left on `today` (number
    `today_number`); a minute target due at `due_at` with `minutes_left` (working minutes from
    `now`) a quarter of `target_minutes` or less."""
    return sa.case(
        (
            due_at.is_not(None),
            sa.and_(due_at >= now, minutes_left * AT_RISK_SHARE <= target_minutes),
        ),
        else_=sa.and_(due.is_not(None), due >= today, due_number - today_number <= 1),
    )


def may_be_due(due: sa.ColumnElement, next_working_day: sa.ColumnElement) -> sa.ColumnElement:
    """The bound a partial index of due dates can serve: every clock at risk or breached today is
    due on or before the next working day (`next_working_day`); a minute target's due date is
    its due moment's Muscat date, so the same bound holds for it."""
    return due <= next_working_day
