"""The sweep (every 15 minutes, jobs/schedule.py): fire every level of the ladder due today, once
per item, level and idle spell, and tell the people its target names.

In one unit of work, set-based whatever the number of items: per source (`sources`), one
`INSERT INTO escalations ... SELECT ... ON CONFLICT DO NOTHING RETURNING` writes the levels that
fire (the unique key (kind, item, level, spell start) keeps a level that fired before, or that a
concurrent sweep fires, from firing again); then one call of the positions resolver for every
(level, service, assignee) at once, one UPDATE of what it answered onto the rows, one read of
the people and one of the services, one INSERT of the notices, and an audit row per escalation
(sealed in its authority's chain at commit); after commit the delivery jobs.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User
from app.audit import record_change
from app.calendar.sql import DAYS, muscat_day
from app.catalogue.models import Service
from app.escalation import sources
from app.escalation.models import ASSIGNEE, DIRECTOR, MESSAGE, POSITION, Escalation
from app.escalation.notices import AT_RISK, ESCALATED, Notice, Person, write_notices
from app.extensions import db
from app.timeutil import MUSCAT, utcnow

log = logging.getLogger(__name__)
NOBODY_ASSIGNED = "—"
NO_DUE_DATE = "—"
FIRED = tuple(
    Escalation.__table__.c[name]
    for name in (
        "id",
        "kind",
        "item_id",
        "level",
        "reference",
        "authority_id",
        "service_id",
        "assignee_id",
        "idle_days",
        "due_date",
    )
)
# What the notices and the audit log call each kind of item.
SUBJECT = {"application": "application", "refund": "refund", "case": "case", MESSAGE: "application"}
# What the notices call each kind, in both languages, before the item's reference.
ITEM = {
    "application": {"item_ar": "الطلب", "item_en": "Application"},
    "refund": {"item_ar": "طلب الاسترداد", "item_en": "Refund"},
    "case": {"item_ar": "البلاغ", "item_en": "Case"},
    MESSAGE: {"item_ar": "رسالة مقدم الطلب على الطلب", "item_en": "The applicant's message on"},
}


def escalate(now: datetime | None = None) -> int:
    """Periodic: fire every level due as of `now` (the current time by default), in the job's
    unit of work. Returns how many escalations fired."""
    from app.positions.targets import escalation_targets, record_passed_over

    now = now or utcnow()
    today = now.astimezone(MUSCAT).date()
    dialect = db.session.get_bind().dialect.name
    fired = []
    for statement in firing_statements(dialect):
        fired.extend(db.session.execute(statement, {"today": today, "now": now}).all())
    if not fired:
        return 0
    fired.sort(key=lambda row: (row.kind, row.item_id, row.level))
    targets = escalation_targets({(row.level, row.service_id, row.assignee_id) for row in fired})
    db.session.execute(
        sa.update(Escalation),
        [_told(row, targets[(row.level, row.service_id, row.assignee_id)]) for row in fired],
    )
    people = _people(fired, targets.values())
    services = _services(fired)
    notices = []
    for row in fired:
        target = targets[(row.level, row.service_id, row.assignee_id)]
        notices.append(_notice(row, target, people, services))
        _audit(row, target)
    # The unfilled positions passed over, for the admins' list (app.positions): once per target.
    record_passed_over(targets)
    write_notices(notices, now)
    log.info("escalations fired", extra={"count": len(fired)})
    return len(fired)


@functools.cache
def firing_statements(dialect: str) -> tuple[sa.Insert, ...]:
    """One INSERT per source (`sources.SOURCES`) on `dialect`, for the Muscat date bound as
    `today` and the moment bound as `now`. Built once per process."""
    return tuple(firing_statement(source(dialect), dialect) for source in sources.SOURCES)


def firing_statement(source: sa.Select, dialect: str) -> sa.Insert:
    """The INSERT of the levels of `source`'s items that fire on `today`, returning `FIRED`."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Escalation.__table__)
    return (
        insert.from_select(INSERTED, firing_select(source))
        .on_conflict_do_nothing(index_elements=["kind", "item_id", "level", "spell_start"])
        .returning(*FIRED)
    )


# The columns `firing_select` gives, in its order.
INSERTED = ["kind", "item_id", "level", "spell_start", "fired_at", "reference", "authority_id"]
INSERTED += ["service_id", "assignee_id", "idle_days", "due_date"]


def firing_select(source: sa.Select) -> sa.Select:
    """The levels of `source`'s items that fire on `today` (bound), not fired before in the same
    spell: one row per (item, level), with the columns `INSERTED`."""
    c = source.subquery("item")
    level = sa.union_all(
        *(sa.select(sa.literal_column(str(n), sa.Integer).label("level")) for n in (1, 2, 3))
    ).subquery("ladder")
    fired_day = DAYS.alias("fired_day")
    earlier = Escalation.__table__.alias("earlier")
    same_spell = (earlier.c.kind == c.c.kind, earlier.c.item_id == c.c.item_id)
    same_spell += (earlier.c.spell_start == c.c.spell_start,)
    # The working-day number of the day level 2 fired in this spell (none: NULL).
    position_told_on = (
        sa.select(fired_day.c.working_day_number)
        .select_from(earlier)
        .join(
            fired_day,
            sa.and_(
                fired_day.c.authority_id == earlier.c.authority_id,
                fired_day.c.day == muscat_day(earlier.c.fired_at),
            ),
        )
        .where(*same_spell, earlier.c.level == POSITION)
        .scalar_subquery()
    )
    fires = sa.or_(
        sa.and_(level.c.level == ASSIGNEE, c.c.at_risk),
        sa.and_(
            level.c.level == POSITION,
            sa.or_(
                c.c.breached,
                sa.and_(c.c.escalation_days.is_not(None), c.c.idle_days >= c.c.escalation_days),
            ),
        ),
        sa.and_(
            level.c.level == DIRECTOR,
            c.c.today_number - position_told_on >= c.c.director_days,
        ),
    )
    already = sa.exists().where(*same_spell, earlier.c.level == level.c.level)
    return (
        sa.select(
            c.c.kind,
            c.c.item_id,
            level.c.level,
            c.c.spell_start,
            sa.bindparam("now", type_=Escalation.fired_at.type),
            c.c.reference,
            c.c.authority_id,
            c.c.service_id,
            c.c.assignee_id,
            c.c.idle_days,
            c.c.due_date,
        )
        .select_from(c)
        .join(level, sa.true())
        # SQLite reads `ON CONFLICT` after a join's ON as the join's: a WHERE comes between.
        .where(fires, sa.not_(already))
    )


def _told(row, target) -> dict[str, Any]:
    return {
        "id": row.id,
        "position_id": target.position_id,
        "recipients": list(target.holder_ids),
        "channels": list(target.channels),
    }


def _people(fired, targets) -> dict[int, Person]:
    """The people told and the assignees named, in one query."""
    ids = {person for target in targets for person in target.holder_ids}
    ids |= {row.assignee_id for row in fired if row.assignee_id is not None}
    rows = db.session.execute(
        sa.select(User.id, User.name, User.preferred_language).where(User.id.in_(sorted(ids)))
    )
    return {row.id: Person(row.id, row.name, row.preferred_language) for row in rows}


def _services(fired) -> dict[int, Any]:
    rows = db.session.execute(
        sa.select(Service.id, Service.name_ar, Service.name_en).where(
            Service.id.in_(sorted({row.service_id for row in fired}))
        )
    )
    return {row.id: row for row in rows}


def _notice(row, target, people: dict[int, Person], services) -> Notice:
    service = services[row.service_id]
    assignee = people.get(row.assignee_id) if row.assignee_id is not None else None
    context = {
        **ITEM[row.kind],
        "reference": row.reference,
        "service_ar": service.name_ar,
        "service_en": service.name_en,
        "due_date": row.due_date.isoformat() if row.due_date else NO_DUE_DATE,
    }
    if row.level != ASSIGNEE:
        context |= {
            "level": row.level,
            "idle_days": row.idle_days,
            "assignee": assignee.name if assignee else NOBODY_ASSIGNED,
        }
    return Notice(
        event=AT_RISK if row.level == ASSIGNEE else ESCALATED,
        context=context,
        people=tuple(people[person] for person in target.holder_ids if person in people),
        channels=tuple(target.channels),
        authority_id=row.authority_id,
        subject_type=SUBJECT[row.kind],
        subject_id=row.reference,
    )


def _audit(row, target) -> None:
    record_change(
        f"{SUBJECT[row.kind]}.escalated",
        SUBJECT[row.kind],
        row.reference,
        authority_id=row.authority_id,
        after={
            "kind": row.kind,
            "level": row.level,
            "idle_days": row.idle_days,
            "position": target.position_code,
            "recipients": len(target.holder_ids),
            "channels": list(target.channels),
            "skipped": list(target.skipped),
        },
    )
