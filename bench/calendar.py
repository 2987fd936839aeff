"""Calendar benchmark: due dates per second, and an SLA summary over 1,000,000 applications.

Prints each figure beside a baseline measured in the same run, and their ratio:
- due dates: `WorkingCalendar.add` (running day numbers) against a plain day-by-day loop over
  the same weekends and holidays;
- SLA summary on PostgreSQL: the SLA report (`licensing.reports.sla_summary`, the function behind
  `GET /api/v1/reports/sla`) over 1,000,000 rows of the real `applications` table, bulk-inserted
  with generate_series, against a bare aggregate over the same rows (the cost of reading them
  at all).

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
import secrets
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


BASELINE = """
SELECT service_id, count(*), sum(sla_target_days) FROM applications
WHERE authority_id = :authority AND sla_started_at IS NOT NULL GROUP BY service_id
"""

# 1,000,000 applications of one authority over its services: started through 2026 at every
# hour of the day (so the Muscat date differs from the UTC one at night), a quarter decided,
# some paused now and some paused before, targets from instant to 30 working days.
APPLICATIONS = """
WITH services AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM services WHERE authority_id = :authority
), rows AS (
    SELECT g, TIMESTAMPTZ '2026-01-01 00:00+00' + (g % 320) * INTERVAL '1 day'
                                                 + (g % 24) * INTERVAL '1 hour' AS started
    FROM generate_series(1, :rows) AS g
)
INSERT INTO applications (
    reference, authority_id, service_id, applicant_id, family, action, state, details,
    fee_baisa, required_documents, submitted_at, last_action_at, created_at, updated_at,
    sla_target_days, sla_started_at, sla_paused_at, sla_paused_days, sla_stopped_at)
SELECT 'BENCH-' || g, :authority, ids[1 + g % cardinality(ids)], :applicant, 'general', 'other',
       CASE WHEN g % 4 = 0 THEN 'approved' ELSE 'in_review' END, '{}', 0, '[]',
       started, started, started, started,
       (ARRAY[0, 1, 3, 5, 6, 7, 10, 14, 30])[1 + g % 9],
       started,
       CASE WHEN g % 4 <> 0 AND g % 10 = 3 THEN started + (g % 7) * INTERVAL '1 day' END,
       (g / 7) % 3,
       CASE WHEN g % 4 = 0 THEN started + (g % 25) * INTERVAL '1 day' END
FROM rows, services
"""


def bench_sla_summary(url: str, rows: int) -> None:
    import sqlalchemy as sa

    from app import create_app
    from app.accounts.models import AccountKind, Role, User
    from app.accounts.passwords import hash_password
    from app.authorities.models import Authority
    from app.extensions import db
    from app.seed import seed_reference_data
    from licensing.reports import sla_summary

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        authority = db.session.scalar(sa.select(Authority.id).where(Authority.code == "NBG"))
        applicant = db.session.scalar(sa.select(User.id).where(User.email == "bench@example.om"))
        if applicant is None:
            user = User(
                kind=AccountKind.INDIVIDUAL,
                role=Role.APPLICANT,
                civil_id="99999999",
                name="Bench",
                email="bench@example.om",
                phone="+96890000000",
                password_hash=hash_password(secrets.token_urlsafe()),  # nobody logs in
            )
            db.session.add(user)
            db.session.flush()
            applicant = user.id
        db.session.commit()
        keys = {"authority": authority, "applicant": applicant, "rows": rows}
        remove = sa.text("DELETE FROM applications WHERE reference LIKE 'BENCH-%'")
        with db.engine.begin() as conn:
            conn.execute(remove)
            conn.execute(sa.text(APPLICATIONS), keys)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE applications"))
            conn.execute(sa.text("ANALYZE calendar_days"))
        today = date(2026, 11, 22)

        def timed(run) -> tuple[float, object]:
            runs, result = [], None
            for _ in range(3):
                db.session.remove()
                began = time.perf_counter()
                result = run()
                runs.append(time.perf_counter() - began)
            return statistics.median(runs), result

        report_time, report = timed(lambda: sla_summary(authority, today))
        baseline_time, _ = timed(
            lambda: db.session.execute(sa.text(BASELINE), {"authority": authority}).all()
        )
        assert sum(line["started"] for line in report) == rows, report
        print(
            f"SLA report (GET /api/v1/reports/sla) over {rows:,} applications: "
            f"{report_time:.2f} s   baseline (bare aggregate over the same rows): "
            f"{baseline_time:.2f} s   ratio {report_time / baseline_time:.1f}x"
        )
        totals = {
            key: sum(line[key] for line in report)
            for key in ("met", "breached", "on_track", "at_risk", "paused")
        }
        print(f"   {len(report)} services;", ", ".join(f"{k} {n:,}" for k, n in totals.items()))
        with db.engine.begin() as conn:
            conn.execute(remove)


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
