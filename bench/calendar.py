"""Calendar benchmark: due dates per second, and an SLA summary over 1,000,000 applications.

Prints each figure beside a baseline measured in the same run, and their ratio:
- due dates: `WorkingCalendar.add` (running day numbers) against a plain day-by-day loop over
  the same weekends and holidays;
- SLA summary on PostgreSQL: the state of every application (on_track / at_risk / breached / met)
  from the `calendar_days` table in one SQL statement, against a bare aggregate over the same
  rows (the cost of reading them at all).

Usage: .venv/bin/python bench/calendar.py [--rows 1000000]
Starts its own PostgreSQL from the binaries (as the tests do) unless BENCH_DATABASE_URL is set.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `calendar`: keep its folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import random
import statistics
import time
from datetime import date, timedelta

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.calendar.services import FIRST_DAY, LAST_DAY, package_holidays  # noqa: E402
from app.calendar.workdays import WEEKEND, WorkingCalendar  # noqa: E402


def naive_add(start: date, days: int, holidays) -> date:
    """The baseline: step one day at a time, skipping weekends and holidays."""
    day = start
    if days == 0 and (day.weekday() in WEEKEND or day in holidays):
        days = 1  # an instant target started on a day off is due the next working day
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() not in WEEKEND and day not in holidays:
            days -= 1
    return day


def bench_due_dates(samples: int = 200_000) -> None:
    holidays = package_holidays(FIRST_DAY.year, LAST_DAY.year)
    calendar = WorkingCalendar(FIRST_DAY, LAST_DAY, holidays)
    rng = random.Random(1)
    cases = [
        (date(2024, 1, 1) + timedelta(days=rng.randrange(0, 3000)), rng.randrange(0, 60))
        for _ in range(samples)
    ]
    for start, days in cases[:2000]:
        assert calendar.add(start, days) == naive_add(start, days, holidays)

    def rate(func) -> float:
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            for start, days in cases:
                func(start, days)
            runs.append(samples / (time.perf_counter() - began))
        return statistics.median(runs)

    ours = rate(calendar.add)
    baseline = rate(lambda s, d: naive_add(s, d, holidays))
    print(
        f"due dates per second: {ours:,.0f}   baseline (day-by-day loop): {baseline:,.0f}   ratio {ours / baseline:.1f}x"
    )


SUMMARY = """
WITH apps AS (
    SELECT a.id, a.authority_id, a.started_on, a.target_days, a.paused_days, a.stopped_on,
           COALESCE(a.stopped_on, CAST(:today AS date)) AS last_day,
           s.working_day_number AS start_n, s.is_working AS start_is_working
    FROM bench_applications a
    JOIN calendar_days s ON s.authority_id = a.authority_id AND s.day = a.started_on
), due AS (
    SELECT apps.*,
           d.day AS due_date,
           l.working_day_number - start_n - paused_days AS used
    FROM apps
    -- An instant target is due the start day when it is a working day (its own number), else
    -- the next working day (number + 1), like a 1-day target.
    LEFT JOIN calendar_days d ON d.authority_id = apps.authority_id AND d.is_working
         AND d.working_day_number = start_n + target_days + paused_days
             + CASE WHEN target_days + paused_days = 0 AND NOT start_is_working THEN 1 ELSE 0 END
    JOIN calendar_days l ON l.authority_id = apps.authority_id AND l.day = apps.last_day
)
SELECT CASE
         WHEN last_day > due_date THEN 'breached'
         WHEN stopped_on IS NOT NULL THEN 'met'
         WHEN target_days - used <= 1 THEN 'at_risk'
         ELSE 'on_track'
       END AS state,
       count(*)
FROM due GROUP BY 1 ORDER BY 1
"""

BASELINE = """
SELECT CASE WHEN stopped_on IS NULL THEN 'open' ELSE 'closed' END, count(*), sum(target_days)
FROM bench_applications GROUP BY 1
"""


def bench_sla_summary(url: str, rows: int) -> None:
    import sqlalchemy as sa

    from app import create_app
    from app.authorities.seed import seed_authorities
    from app.calendar.services import ensure_calendar_tables
    from app.extensions import db

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_authorities()
        ensure_calendar_tables()
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS bench_applications"))
            conn.execute(
                sa.text(
                    "CREATE TABLE bench_applications (id bigint PRIMARY KEY, authority_id int NOT NULL, "
                    "started_on date NOT NULL, target_days int NOT NULL, paused_days int NOT NULL, stopped_on date)"
                )
            )
            conn.execute(
                sa.text("""
                INSERT INTO bench_applications
                SELECT g, 1 + g % 3, DATE '2026-01-01' + (g % 320),
                       (ARRAY[0, 1, 3, 5, 6, 7, 10, 14, 30])[1 + g % 9], (g / 7) % 3,
                       CASE WHEN g % 4 = 0 THEN DATE '2026-01-01' + (g % 320) + (g % 25) END
                FROM generate_series(1, :rows) AS g"""),
                {"rows": rows},
            )
            conn.execute(sa.text("ANALYZE bench_applications"))
            conn.execute(sa.text("ANALYZE calendar_days"))

        def timed(sql: str) -> tuple[float, list]:
            runs, result = [], None
            for _ in range(3):
                with db.engine.connect() as conn:
                    began = time.perf_counter()
                    result = conn.execute(sa.text(sql), {"today": date(2026, 11, 22)}).all()
                    runs.append(time.perf_counter() - began)
            return statistics.median(runs), result

        summary_time, states = timed(SUMMARY)
        baseline_time, _ = timed(BASELINE)
        assert sum(n for _, n in states) == rows, states
        print(
            f"SLA summary over {rows:,} applications: {summary_time:.2f} s   "
            f"baseline (bare aggregate over the same rows): {baseline_time:.2f} s   "
            f"ratio {summary_time / baseline_time:.1f}x"
        )
        print("   states:", ", ".join(f"{state} {count:,}" for state, count in states))
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE bench_applications"))


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_due_dates()
    url = os.environ.get("BENCH_DATABASE_URL")
    server = None
    if not url:
        from tests.servers import start_postgres

        server = start_postgres()
        url = server.create_database("baladiya_bench")
    try:
        bench_sla_summary(url, args.rows)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
