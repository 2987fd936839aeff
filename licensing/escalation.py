"""Escalation (Al Buraimi's SLA): when the responsible staff take no action on an application for
the service's `escalation_days` working days, whoever the service names (the department head by
default) is told in-app, by e-mail and by SMS. Once per idle spell: any action starts a new one.

The sweep is set-based, whatever the number of open applications: one statement finds the idle
applications with their idle working days (from the `calendar_days` table, `app.calendar.sql`),
one UPDATE marks them, one reads their recipients, one INSERT writes the notices; then an audit
row per application (sealed in its authority's chain at commit) and, after commit, a delivery job
per `DELIVERY_BATCH` e-mails and SMS.

Idle working days are the calendar's `between(last action's Muscat day, today)`: today's
working-day number minus the last action day's. With a threshold of E days an application is
idle from the day whose number is today's minus E + 1 on: every last action before the first
working day numbered that is idle. That day is one per service, so the statement scans the index
of waiting applications by (service, last action) only up to it — the idle ones, and the ones
already escalated in this spell — instead of every open application.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from app.accounts.models import Role, User
from app.audit import record_change
from app.calendar.sql import DAYS, muscat_day
from app.catalogue.models import Service
from app.extensions import db
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.services import ALL_CHANNELS, DELIVER_ALL
from app.notifications.sms_text import sms_parts
from app.notifications.templates import Rendered, render
from app.timeutil import MUSCAT, UTCDateTime, utcnow
from jobs import enqueue
from licensing.lifecycle import State
from licensing.models import Application

log = logging.getLogger(__name__)
# States in which the next move is the staff's (not the applicant's, not the payer's); the
# partial index `ix_applications_waiting` holds exactly these.
WAITING_ON_STAFF = (
    State.SUBMITTED,
    State.IN_REVIEW,
    State.INSPECTION_SCHEDULED,
    State.INSPECTED,
    State.APPROVED,
)
WAITING_STATES = tuple(s.value for s in WAITING_ON_STAFF)
EVENT = "escalation"
# E-mails and SMS delivered per job: one job per notice would cost a job hand-off each (about
# 10 ms to Redis), and a sweep may write tens of thousands.
DELIVERY_BATCH = 50
NOBODY_ASSIGNED = "—"


class muscat_midnight(FunctionElement):  # noqa: N801 - used like a SQL function
    """The UTC moment a Muscat date begins, comparable with a `UTCDateTime` column."""

    type = UTCDateTime()
    inherit_cache = True
    name = "muscat_midnight"


@compiles(muscat_midnight)
def _muscat_midnight_postgresql(element, compiler, **kw) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"(CAST({day} AS TIMESTAMP) AT TIME ZONE 'Asia/Muscat')"


@compiles(muscat_midnight, "sqlite")
def _muscat_midnight_sqlite(element, compiler, **kw) -> str:
    # The UTC wall time as SQLite stores it ('YYYY-MM-DD HH:MM:SS.ffffff'): without its
    # fraction it sorts before every stored moment of that second, so `<` keeps its meaning.
    return f"strftime('%Y-%m-%d %H:%M:%S', {compiler.process(element.clauses, **kw)}, '-4 hours')"


@dataclass(frozen=True)
class IdleApplication:
    """One application the sweep found, with what its notices say."""

    id: int
    reference: str
    authority_id: int
    service_ar: str
    service_en: str
    escalate_to: str  # a Role value
    idle_days: int
    assignee: str | None


@dataclass(frozen=True)
class Recipient:
    id: int
    language: str


def idle_applications(today: date) -> list[IdleApplication]:
    """Every application waiting on the staff, not escalated since its last action, whose idle
    working days on `today` (a Muscat date) reach its service's threshold, in id order; in one
    statement (`finding_statement`). An application whose last action is outside the calendar
    is not found (the calendar cannot count its days)."""
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(finding_statement(dialect), {"today": today})
    return [IdleApplication(*row) for row in rows]


# Constants written into the statement rather than sent as parameters: the planner sees what
# it would see in the hand-written SQL (an OFFSET 0 it knows is none, for one).
ZERO, ONE = sa.literal_column("0", sa.Integer), sa.literal_column("1", sa.Integer)
DEFAULT_RECIPIENTS = sa.literal_column(f"'{Role.DEPARTMENT_HEAD.value}'", sa.String)


@functools.cache
def finding_statement(dialect: str) -> sa.Select:
    """The statement of `idle_applications` on `dialect`, for the Muscat date bound as `today`,
    with the columns of `IdleApplication` in its order. Built once per process: a large one."""
    a = Application
    on_today, first_not_idle, last_day = (
        DAYS.alias("today"),
        DAYS.alias("first_not_idle"),
        DAYS.alias("last_action_day"),
    )
    assignee = aliased(User, name="assignee")
    idle_days = on_today.c.working_day_number - last_day.c.working_day_number
    waiting_since = (
        a.service_id == Service.id,
        # An application is made in its service's authority (licensing.services), so the
        # service's calendar is the application's.
        a.authority_id == Service.authority_id,
        # Literal states, so that the planners see the partial index's predicate.
        a.state.in_(sa.bindparam("waiting", WAITING_STATES, literal_execute=True)),
        a.last_action_at < muscat_midnight(first_not_idle.c.day),
        sa.or_(a.escalated_at.is_(None), a.escalated_at < a.last_action_at),
    )
    found = (
        sa.select()
        .select_from(Service)
        .join(
            on_today,
            sa.and_(
                on_today.c.authority_id == Service.authority_id,
                on_today.c.day == sa.bindparam("today", type_=sa.Date),
            ),
        )
        .join(
            first_not_idle,
            sa.and_(
                first_not_idle.c.authority_id == Service.authority_id,
                first_not_idle.c.is_working,
                first_not_idle.c.working_day_number
                == on_today.c.working_day_number - Service.escalation_days + ONE,
            ),
        )
    )
    if dialect == "postgresql":
        # Per service, an index scan up to its bound. PostgreSQL cannot estimate a bound that
        # comes from a join (it takes a third of the table) and, with the subquery merged into
        # the join, scans the whole table at 1,000,000 rows; OFFSET 0 keeps it a LATERAL
        # subquery, run once per service (0.12 s against 0.79 s at 300,000 rows).
        waiting = (
            sa.select(a.id, a.reference, a.authority_id, a.last_action_at, a.assignee_id)
            .where(*waiting_since)
            .offset(ZERO)
            .lateral("waiting")
        )
        found, w = found.join(waiting, sa.true()), waiting.c
    else:  # SQLite has no LATERAL; its planner walks the join from the services anyway
        found, w = found.join(a, sa.and_(*waiting_since)), a
    return (
        found.join(
            last_day,
            sa.and_(
                last_day.c.authority_id == w.authority_id,
                last_day.c.day == muscat_day(w.last_action_at),
            ),
        )
        .outerjoin(assignee, assignee.id == w.assignee_id)
        .add_columns(
            w.id,
            w.reference,
            w.authority_id,
            Service.name_ar.label("service_ar"),
            Service.name_en.label("service_en"),
            sa.func.coalesce(Service.escalate_to, DEFAULT_RECIPIENTS).label("escalate_to"),
            idle_days.label("idle_days"),
            assignee.name.label("assignee"),
        )
        # The rule itself; the bound on the last action above is how the index gets there.
        .where(Service.escalation_days.is_not(None), idle_days >= Service.escalation_days)
        .order_by(w.id)
    )


def escalate_idle_applications(now: datetime | None = None) -> int:
    """Periodic: escalate every application idle past its service's threshold (as of `now`,
    the current time by default), in the job's unit of work. Returns how many. The same job
    escalates applicants' messages unanswered past their reply target first (its sibling
    sweep, `licensing.reply_targets`: one statement when there are none)."""
    from licensing.reply_targets import escalate_unanswered_messages

    now = now or utcnow()
    escalate_unanswered_messages(now)
    today = now.astimezone(MUSCAT).date()
    found = idle_applications(today)
    if not found:
        return 0
    mark_escalated([application.id for application in found], now)
    told = write_notices(found, recipients_of(found), now)
    for application in found:
        record_change(
            "application.escalated",
            "application",
            application.reference,
            authority_id=application.authority_id,
            after={"idle_days": application.idle_days, "recipients": told[application.id]},
        )
    log.info("applications escalated", extra={"count": len(found)})
    return len(found)


def mark_escalated(ids: list[int], now: datetime) -> None:
    """One UPDATE: the applications' idle spells are escalated as of `now`."""
    # One parameter, an array (a JSON list on SQLite), rather than one per id: the drivers cap
    # the number of parameters of a statement.
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = Application.id == sa.any_(
            sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer))
        )
    else:
        listed = sa.func.json_each(sa.bindparam("ids", ids, type_=sa.JSON))
        chosen = Application.id.in_(sa.select(sa.column("value")).select_from(listed))
    db.session.execute(
        sa.update(Application)
        .where(chosen)
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )


def recipients_of(found: list[Any]) -> dict[tuple[int, str], list[Recipient]]:
    """The active staff each application's notices go to, by (authority, role), in one query."""
    rows = db.session.execute(
        sa.select(User.id, User.authority_id, User.role, User.preferred_language)
        .where(
            User.is_active,
            User.authority_id.in_(sorted({a.authority_id for a in found})),
            User.role.in_(sorted({Role(a.escalate_to) for a in found})),
        )
        .order_by(User.id)
    )
    people: dict[tuple[int, str], list[Recipient]] = defaultdict(list)
    for row in rows:
        people[(row.authority_id, Role(row.role).value)].append(
            Recipient(row.id, row.preferred_language)
        )
    return people


def write_notices(
    found: list[Any],
    recipients: dict[tuple[int, str], list[Recipient]],
    now: datetime,
    *,
    event: str = EVENT,
    context: Callable[[Any], dict[str, Any]] | None = None,
) -> dict[int, int]:
    """The notices `notify()` would write of `event` for each application and recipient
    (e-mail, SMS, in-app, in the recipient's language), in one INSERT; their deliveries queued
    after commit, `DELIVERY_BATCH` e-mails and SMS a job. `found` are `IdleApplication`s, or
    records with the same `id`, `reference`, `authority_id` and `escalate_to` whose template
    variables `context` gives (licensing.reply_targets). Returns how many people were told, by
    application."""
    context = context or _context
    rows: list[dict[str, Any]] = []
    told: dict[int, int] = {}
    for application in found:
        people = recipients.get((application.authority_id, application.escalate_to), [])
        told[application.id] = len(people)
        texts: dict[str, Rendered] = {}
        for person in people:
            if person.language not in texts:
                texts[person.language] = render(event, person.language, context(application))
            text = texts[person.language]
            for channel in ALL_CHANNELS:
                rows.append(_notice(application, person, Channel(channel), text, now, event))
    if not rows:
        return told
    # The ids are taken first so that the rows go in one executemany without RETURNING: with
    # it, the driver parses one statement of 16 parameters a row (some 40 times slower).
    for row, notification_id in zip(rows, _new_notification_ids(len(rows)), strict=True):
        row["id"] = notification_id
    # render_nulls: NULL written as NULL, else the ORM leaves those columns out and splits the
    # rows into one statement per set of columns.
    db.session.execute(sa.insert(Notification).execution_options(render_nulls=True), rows)
    deliveries = [row["id"] for row in rows if row["channel"] != Channel.IN_APP]
    for first in range(0, len(deliveries), DELIVERY_BATCH):
        enqueue(DELIVER_ALL, deliveries[first : first + DELIVERY_BATCH], queue="high")
    return told


def _new_notification_ids(count: int) -> list[int]:
    """`count` ids for new notification rows, in one statement."""
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(Notification.__tablename__, "id")
        numbers = sa.func.generate_series(1, count).table_valued("n")
        return list(db.session.scalars(sa.select(sa.func.nextval(sequence)).select_from(numbers)))
    # SQLite gives a new row the largest id plus one; one writer at a time, and this transaction
    # already writes (it marked the applications), so no other takes these ids meanwhile.
    largest = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def _context(application: IdleApplication) -> dict[str, Any]:
    return {
        "reference": application.reference,
        "service_ar": application.service_ar,
        "service_en": application.service_en,
        "idle_days": application.idle_days,
        "assignee": NOBODY_ASSIGNED if application.assignee is None else application.assignee,
    }


def _notice(
    application: Any,
    person: Recipient,
    channel: Channel,
    text: Rendered,
    now: datetime,
    event: str = EVENT,
) -> dict[str, Any]:
    """One outbox row as `app.notifications.services.notify` writes it; every row has every
    key, so that the rows go in one INSERT."""
    in_app = channel == Channel.IN_APP
    return {
        "user_id": person.id,
        "authority_id": application.authority_id,
        "channel": channel,
        "event": event,
        "language": person.language,
        "subject_type": "application",
        "subject_id": application.reference,
        "title": text.title[:300],
        "body_text": text.sms if channel == Channel.SMS else text.text,
        "body_html": text.html if channel == Channel.EMAIL else None,
        "sms_parts": sms_parts(text.sms) if channel == Channel.SMS else None,
        "attachments": [],
        "attempts": 0,
        "state": DeliveryState.SENT if in_app else DeliveryState.QUEUED,
        "sent_at": now if in_app else None,
        "created_at": now,
    }
