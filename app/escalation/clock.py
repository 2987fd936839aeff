"""The SLA state the ladder reads, in SQL: at risk and breached, by the rule of
`app.sla.SlaClock.status` for a running clock (`today` is the last day it ran):

- breached: today is after the due date;
- at risk: not breached, and one working day or less left: the due date's working-day number
  minus today's is at most 1 (`calendar_days` numbers each working day; the days off after one
  share its number).

Only these two predicates and the candidates' bound know how a target is counted: targets in
working minutes (branch `sla-clock`) replace them here, and nothing else in the sweep changes.
A stopped or paused clock, or none (`due` NULL: no target, escalation only), is neither.
"""

from __future__ import annotations

import sqlalchemy as sa


def breached(due: sa.ColumnElement, today: sa.ColumnElement) -> sa.ColumnElement:
    """Whether the running clock due on `due` (a date, NULL for none) is breached on `today`."""
    return sa.and_(due.is_not(None), due < today)


def at_risk(
    due: sa.ColumnElement,
    due_number: sa.ColumnElement,
    today: sa.ColumnElement,
    today_number: sa.ColumnElement,
) -> sa.ColumnElement:
    """Whether the running clock due on `due` (working-day number `due_number`) is at risk on
    `today` (number `today_number`): one working day or less left, not breached."""
    return sa.and_(due.is_not(None), due >= today, due_number - today_number <= 1)


def may_be_due(due: sa.ColumnElement, next_working_day: sa.ColumnElement) -> sa.ColumnElement:
    """The bound a partial index of due dates can serve: every clock at risk or breached today is
    due on or before the next working day (`next_working_day`)."""
    return due <= next_working_day
