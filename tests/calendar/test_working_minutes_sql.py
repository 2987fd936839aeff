"""`app.calendar.sql.working_minutes_between` (working minutes between two moments, in SQL over
`calendar_days`) answers as the pure Python clock (`WorkingCalendar.working_minutes`) does, on
PostgreSQL and SQLite, for many random moments: inside and outside working hours, on weekends and
holidays, across months, and for other working hours than the default."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.authorities.models import Authority
from app.calendar.services import FIRST_DAY, LAST_DAY, package_holidays
from app.calendar.sql import working_minutes_between
from app.calendar.workdays import WorkingCalendar
from app.extensions import db
from app.timeutil import MUSCAT, UTCDateTime

BATCH = 40


def random_moment(rng: random.Random) -> datetime:
    """A moment in late 2026 – early 2027 (National Day, Isra' and Mi'raj, Accession Day fall
    in it), often near the working day's edges, to the second."""
    day = datetime(2026, 11, 1, tzinfo=MUSCAT) + timedelta(days=rng.randrange(100))
    edge = rng.choice((8 * 3600, 14 * 3600 + 1800, 7 * 3600, 13 * 3600))
    seconds = rng.choice((rng.randrange(86400), edge + rng.randrange(-90, 90)))
    return day + timedelta(seconds=seconds)


def sql_minutes(authority_id: int, pairs, starts, ends) -> list[int]:
    found = []
    for i in range(0, len(pairs), BATCH):
        columns = [
            working_minutes_between(
                sa.literal(authority_id),
                sa.literal(start, UTCDateTime()),
                sa.literal(end, UTCDateTime()),
                starts,
                ends,
            ).label(f"m{n}")
            for n, (start, end) in enumerate(pairs[i : i + BATCH])
        ]
        found.extend(db.session.execute(sa.select(*columns)).one())
    return found


@pytest.mark.parametrize("hours", [(8 * 60, 14 * 60 + 30), (7 * 60 + 15, 13 * 60)])
def test_sql_counts_the_working_minutes_the_python_clock_counts(app_ctx, hours):
    rng = random.Random(15 + hours[0])
    authority_id = db.session.scalar(sa.select(Authority.id).where(Authority.code == "NBG"))
    calendar = WorkingCalendar(
        FIRST_DAY, LAST_DAY, package_holidays(FIRST_DAY.year, LAST_DAY.year), *hours
    )
    pairs = []
    for _ in range(200):
        start = random_moment(rng)
        # Mostly after the start (hours to weeks later), sometimes before it (0).
        end = start + timedelta(seconds=rng.randrange(-3600, 20 * 86400))
        pairs.append((start, end))
    expected = [calendar.working_minutes(start, end) for start, end in pairs]
    assert sql_minutes(authority_id, pairs, *hours) == expected
    assert 0 in expected and max(expected) > 2000  # both kinds of pair were drawn


def test_hand_counted_cases_in_sql(app_ctx):
    authority_id = db.session.scalar(sa.select(Authority.id).where(Authority.code == "NBG"))
    hours = (8 * 60, 14 * 60 + 30)

    def at(month, day, hour, minute=0, year=2026):
        return datetime(year, month, day, hour, minute, tzinfo=MUSCAT)

    pairs = [
        (at(12, 17, 14), at(12, 20, 11, 30)),  # Thu 14:00 → Sun 11:30: 30 + 210
        (at(12, 20, 14, 20), at(12, 21, 8, 20)),  # Sun 14:20 → Mon 8:20: 10 + 20
        (at(11, 25, 10), at(11, 29, 8, 30)),  # National Day → Sun 8:30: 30
        (at(12, 21, 6), at(12, 21, 9)),  # before work → 9:00: 60
        (at(12, 21, 9), at(12, 21, 6)),  # backwards: 0
        (at(12, 18, 9), at(12, 19, 13)),  # Friday to Saturday: 0
    ]
    assert sql_minutes(authority_id, pairs, *hours) == [240, 30, 30, 60, 0, 0]


def test_the_hours_may_be_the_authorities_columns(app_ctx):
    """Set-based queries pass the `authorities` columns (SMALLINT): 14:30 in seconds is past a
    SMALLINT, so the builder counts in integers."""
    start = datetime(2026, 12, 17, 14, tzinfo=MUSCAT)  # Thursday 14:00
    end = datetime(2026, 12, 20, 11, 30, tzinfo=MUSCAT)  # Sunday 11:30
    query = sa.select(
        working_minutes_between(
            Authority.id,
            sa.literal(start, UTCDateTime()),
            sa.literal(end, UTCDateTime()),
            Authority.work_starts_minute,
            Authority.work_ends_minute,
        )
    ).where(Authority.code == "NBG")
    assert db.session.scalar(query) == 240
