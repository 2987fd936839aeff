"""The items the ladder looks at, one set-based SELECT per kind, all with the same columns
(`COLUMNS`): what the item is, where it belongs, when its idle spell started, and, on the day
of the sweep, its idle working days and whether it is at risk or breached.

A spell starts at the item's last staff action (`last_action_at`: every workflow step, an
assignment, a staff message; the applicant's answer that resumes a paused clock is a step too,
so waiting on the applicant never counts), or for a message at the oldest message still
unanswered. Items waiting on the applicant (paused clocks) are never found.

Idle working days are the calendar's `between(spell start's Muscat day, today)`: today's
working-day number minus the spell day's (`calendar_days`, `app.calendar.sql`). Each source
reads only the items that may fire a level today, through a partial index: per service, the
waiting items whose spell started before the first working day that is not idle (today's
number minus the threshold, plus one), or whose due date is on or before the next working day
(`clock.may_be_due`). An item whose spell day is outside the calendar is not found (the calendar
cannot count its days).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.authorities.models import Authority
from app.calendar.sql import DAYS, muscat_day, working_minutes_between
from app.catalogue.models import Service
from app.escalation import clock
from app.escalation.models import APPLICATION, CASE, MESSAGE, REFUND
from app.timeutil import UTCDateTime

# The columns of every source, in this order.
COLUMNS = (
    "kind",
    "item_id",
    "reference",
    "authority_id",
    "service_id",
    "assignee_id",
    "spell_start",
    "due_date",
    "escalation_days",
    "director_days",
    "today_number",
    "idle_days",
    "at_risk",
    "breached",
)
APPLICATION_WAITING = ("submitted", "in_review", "inspection_scheduled", "inspected", "approved")
REFUND_WAITING = ("submitted", "under_review")
CASE_WAITING = ("received", "acknowledged", "in_study", "escalated")
# A case the staff answered (or closed) whose person wrote again: the message waits on them.
CASE_ANSWERED = ("answered", "closed")
ZERO, ONE = sa.literal_column("0", sa.Integer), sa.literal_column("1", sa.Integer)


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


def _states(states: tuple[str, ...]) -> sa.BindParameter:
    # Literal states, so that the planners see the partial index's predicate.
    return sa.bindparam(f"states_{'_'.join(states)}", states, literal_execute=True)


class Days:
    """The calendar rows a source joins per service: today, the first working day that is not
    idle under the service's threshold, and the next working day."""

    def __init__(self) -> None:
        self.today = DAYS.alias("today")
        self.first_not_idle = DAYS.alias("first_not_idle")
        self.next_working = DAYS.alias("next_working_day")

    def per_service(self) -> sa.Select:
        t, f, n = self.today, self.first_not_idle, self.next_working
        return (
            sa.select()
            .select_from(Service)
            .join(
                t,
                sa.and_(
                    t.c.authority_id == Service.authority_id,
                    t.c.day == sa.bindparam("today", type_=sa.Date),
                ),
            )
            .outerjoin(
                f,
                sa.and_(
                    f.c.authority_id == Service.authority_id,
                    f.c.is_working,
                    f.c.working_day_number
                    == t.c.working_day_number - Service.escalation_days + ONE,
                ),
            )
            .outerjoin(
                n,
                sa.and_(
                    n.c.authority_id == Service.authority_id,
                    n.c.is_working,
                    n.c.working_day_number == t.c.working_day_number + ONE,
                ),
            )
        )

    def may_fire(self, spell_start, due) -> sa.ColumnElement:
        """The bound on the index: idle past the threshold, or due by the next working day."""
        return sa.or_(
            spell_start < muscat_midnight(self.first_not_idle.c.day),
            clock.may_be_due(due, self.next_working.c.day),
        )


def _running(model, column) -> sa.ColumnElement:
    """`column` (the stored due date, or a minute target's due moment) of a running clock; NULL
    for none, a paused or a stopped one."""
    return sa.case(
        (
            sa.and_(
                model.sla_started_at.is_not(None),
                model.sla_stopped_at.is_(None),
                model.sla_paused_at.is_(None),
            ),
            column,
        ),
        else_=sa.null(),
    )


def _running_due(model) -> sa.ColumnElement:
    return _running(model, model.sla_due_date)


def _running_due_at(model) -> sa.ColumnElement:
    return _running(model, model.sla_due_at)


NO_MOMENT = sa.cast(sa.null(), UTCDateTime())
NO_MINUTES = sa.cast(sa.null(), sa.Integer)


def _ladder(kind: str, found: sa.Select, w, days: Days) -> sa.Select:
    """The common columns of `found` (joined to the services and the calendar rows of `days`),
    whose item columns `w` are id, reference, authority_id, assignee_id, spell_start and due; only
    the items that may fire a level."""
    t = days.today
    spell_day, due_day = DAYS.alias("spell_day"), DAYS.alias("due_day")
    idle_days = t.c.working_day_number - spell_day.c.working_day_number
    now = sa.bindparam("now", type_=UTCDateTime())
    hours = Authority.__table__.alias("hours")
    minutes_left = working_minutes_between(
        w.authority_id,
        now,
        w.due_at,
        sa.select(hours.c.work_starts_minute).where(hours.c.id == w.authority_id).scalar_subquery(),
        sa.select(hours.c.work_ends_minute).where(hours.c.id == w.authority_id).scalar_subquery(),
    )
    at_risk = clock.at_risk(
        w.due,
        due_day.c.working_day_number,
        t.c.day,
        t.c.working_day_number,
        w.due_at,
        now,
        w.target_minutes,
        minutes_left,
    )
    breached = clock.breached(w.due, t.c.day, w.due_at, now)
    return (
        found.join(
            spell_day,
            sa.and_(
                spell_day.c.authority_id == w.authority_id,
                spell_day.c.day == muscat_day(w.spell_start),
            ),
        )
        .outerjoin(
            due_day, sa.and_(due_day.c.authority_id == w.authority_id, due_day.c.day == w.due)
        )
        .add_columns(
            sa.literal_column(f"'{kind}'", sa.String).label("kind"),
            w.id.label("item_id"),
            w.reference.label("reference"),
            w.authority_id.label("authority_id"),
            Service.id.label("service_id"),
            w.assignee_id.label("assignee_id"),
            w.spell_start.label("spell_start"),
            w.due.label("due_date"),
            Service.escalation_days.label("escalation_days"),
            Service.director_escalation_days.label("director_days"),
            t.c.working_day_number.label("today_number"),
            idle_days.label("idle_days"),
            at_risk.label("at_risk"),
            breached.label("breached"),
        )
        .where(
            sa.or_(
                at_risk,
                breached,
                sa.and_(Service.escalation_days.is_not(None), idle_days >= Service.escalation_days),
            )
        )
    )


def _per_service(kind: str, model, waiting: sa.ColumnElement, spell_start, dialect: str):
    """A source of a model with `service_id`, `assignee_id`, `authority_id` and an SLA clock:
    per service, its index of waiting items scanned up to the bound (`Days.may_fire`)."""
    days = Days()
    due = _running_due(model)
    where = (
        model.service_id == Service.id,
        # An item is made in its service's authority, so the service's calendar is the item's.
        model.authority_id == Service.authority_id,
        waiting,
        days.may_fire(spell_start, model.sla_due_date),
    )
    found = days.per_service()
    if dialect == "postgresql":
        # Per service, an index scan up to its bound. PostgreSQL cannot estimate a bound that
        # comes from a join and, with the subquery merged into the join, scans the whole table
        # at 1,000,000 rows; OFFSET 0 keeps it a LATERAL subquery, run once per service.
        lateral = (
            sa.select(
                model.id.label("id"),
                model.reference.label("reference"),
                model.authority_id.label("authority_id"),
                model.assignee_id.label("assignee_id"),
                spell_start.label("spell_start"),
                due.label("due"),
                _running_due_at(model).label("due_at"),
                model.sla_target_minutes.label("target_minutes"),
            )
            .where(*where)
            .offset(ZERO)
            .lateral(f"waiting_{kind}")
        )
        return _ladder(kind, found.join(lateral, sa.true()), lateral.c, days)
    # SQLite has no LATERAL; its planner walks the join from the services anyway.
    w = sa.util.immutabledict(
        id=model.id,
        reference=model.reference,
        authority_id=model.authority_id,
        assignee_id=model.assignee_id,
        spell_start=spell_start,
        due=due,
        due_at=_running_due_at(model),
        target_minutes=model.sla_target_minutes,
    )
    return _ladder(kind, found.join(model, sa.and_(*where)), _Columns(w), days)


class _Columns:
    """Item columns by attribute, as a subquery's `.c` gives them."""

    def __init__(self, columns) -> None:
        self.__dict__.update(columns)


def applications(dialect: str) -> sa.Select:
    """Applications waiting on the staff (`ix_applications_waiting`, `ix_applications_due`)."""
    from licensing.models import Application as A

    waiting = sa.and_(A.state.in_(_states(APPLICATION_WAITING)), A.sla_paused_at.is_(None))
    return _per_service(APPLICATION, A, waiting, A.last_action_at, dialect)


def cases(dialect: str) -> sa.Select:
    """Complaints, tickets and the other cases waiting on the staff (`ix_cases_waiting`,
    `ix_cases_due`)."""
    from cases.models import Case as C

    waiting = sa.and_(C.state.in_(_states(CASE_WAITING)), C.sla_paused_at.is_(None))
    return _per_service(CASE, C, waiting, C.last_action_at, dialect)


def answered_cases(dialect: str) -> sa.Select:
    """Cases answered or closed whose person wrote since (`reply_due_since`, the first message
    unanswered, starts the spell; its target is the service's threshold; `ix_cases_reply_due`)."""
    from cases.models import Case as C

    days = Days()
    w = _Columns(
        {
            "id": C.id,
            "reference": C.reference,
            "authority_id": C.authority_id,
            "assignee_id": C.assignee_id,
            "spell_start": C.reply_due_since,
            "due": sa.cast(sa.null(), sa.Date),
            "due_at": NO_MOMENT,
            "target_minutes": NO_MINUTES,
        }
    )
    found = days.per_service().join(
        C,
        sa.and_(
            C.service_id == Service.id,
            C.authority_id == Service.authority_id,
            C.reply_due_since.is_not(None),
            C.state.in_(_states(CASE_ANSWERED)),
            C.reply_due_since < muscat_midnight(days.first_not_idle.c.day),
        ),
    )
    return _ladder(CASE, found, w, days)


def refunds(dialect: str) -> sa.Select:
    """Refunds waiting on finance (`ix_refunds_waiting`), under the service paid for: its
    thresholds and its position. Refunds open at once are few (hundreds, not millions): the
    index of waiting refunds is read whole."""
    from licensing.models import Application
    from payments.models import Payment
    from refunds.models import Refund as R

    days = Days()
    due = _running_due(R)
    w = _Columns(
        {
            "id": R.id,
            "reference": R.reference,
            "authority_id": R.authority_id,
            "assignee_id": sa.cast(sa.null(), sa.Integer),
            "spell_start": R.last_action_at,
            "due": due,
            "due_at": _running_due_at(R),
            "target_minutes": R.sla_target_minutes,
        }
    )
    found = (
        days.per_service()
        .join(Application, Application.service_id == Service.id)
        .join(Payment, Payment.application_id == Application.id)
        .join(
            R,
            sa.and_(
                R.payment_id == Payment.id,
                R.authority_id == Service.authority_id,
                R.state.in_(_states(REFUND_WAITING)),
                R.sla_paused_at.is_(None),
                days.may_fire(R.last_action_at, R.sla_due_date),
            ),
        )
    )
    return _ladder(REFUND, found, w, days)


def messages(dialect: str) -> sa.Select:
    """Open applications whose applicant's message is unanswered past its reply target
    (`AWAITING_REPLY`): the thread's oldest such message starts the spell, its target day is the
    due date (so the message is breached, level 2, the day after; never at risk: the assignee was
    told when it came, `message_received`). `ix_application_messages_unanswered` is the way in."""
    from licensing.lifecycle import FINAL
    from licensing.models import Application as A
    from licensing.models import ApplicationMessage as M

    days = Days()
    unanswered = (
        sa.select(
            M.application_id.label("application_id"),
            sa.func.min(M.created_at).label("spell_start"),
            sa.func.min(M.reply_due_date).label("due"),
        )
        .where(
            M.reply_due_date.is_not(None),
            M.answered_at.is_(None),
            M.reply_due_date < sa.bindparam("today", type_=sa.Date),
        )
        .group_by(M.application_id)
        .subquery("unanswered")
    )
    w = _Columns(
        {
            "id": A.id,
            "reference": A.reference,
            "authority_id": A.authority_id,
            "assignee_id": A.assignee_id,
            "spell_start": unanswered.c.spell_start,
            "due": unanswered.c.due,
            "due_at": NO_MOMENT,
            "target_minutes": NO_MINUTES,
        }
    )
    found = (
        days.per_service()
        .join(A, sa.and_(A.service_id == Service.id, A.authority_id == Service.authority_id))
        .join(unanswered, unanswered.c.application_id == A.id)
        .where(A.state.not_in(_states(tuple(sorted(s.value for s in FINAL)))))
    )
    return _ladder(MESSAGE, found, w, days)


SOURCES = (applications, refunds, cases, answered_cases, messages)
