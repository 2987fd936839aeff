"""Escalation sweep benchmark: N open applications in PostgreSQL, a share of them idle past their
service's threshold; the sweep's finding statement timed beside the best hand-written SQL that
finds the same rows, in the same run, then the whole sweep with its notices and audit rows.

Usage: .venv/bin/python bench/sweep.py [--size 1000000] [--idle-share 0.01]
       .venv/bin/python bench/sweep.py --size 20000          (quick: well under 2 minutes)
Starts its own PostgreSQL and Redis (as the tests do) on free loopback ports. The delivery jobs
of the notices go to Redis, as in production; no worker runs them here.

Printed, each as open applications swept per second:
  (a)  the hand-written SQL (below: the best we can write) through a bare psycopg cursor;
  (a0) the same without the bound on the last action (it joins the calendar to every waiting
       application): what the partial index saves;
  (b)  the sweep's finding statement (`licensing.escalation.idle_applications`) through the app,
       rows made into `IdleApplication`s as the sweep does; and the ratio (b)/(a), the goal <= 2;
  (c)  the whole sweep in one unit of work: find, mark, notices, audit rows, commit (the job
       hand-off to Redis after commit shown apart);
  (old) the per-application Python loop it replaced, over the first `--old-loop` candidates.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import os
import statistics
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import start_postgres, start_redis  # noqa: E402

# The best we can write by hand: per service, the first working day that is not idle (today's
# working-day number minus the threshold, plus one) bounds the last action, so the partial index
# of waiting applications by (service_id, last_action_at) is scanned only over the applications
# idle past the threshold (and those already escalated in this spell); their idle days are then
# one lookup of the last action's day each. A LATERAL subquery, kept one by OFFSET 0: merged into
# the join, the bound (from a join, so the planner guesses a third of the rows) makes PostgreSQL
# scan the whole table (0.79 s against 0.12 s at 300,000 rows).
HAND_WRITTEN = """
SELECT a.id, a.reference, a.authority_id, s.name_ar, s.name_en,
       coalesce(s.escalate_to, 'department_head'),
       t.working_day_number - l.working_day_number, u.name
FROM services s
JOIN calendar_days t ON t.authority_id = s.authority_id AND t.day = %(today)s
JOIN calendar_days f ON f.authority_id = s.authority_id AND f.is_working
     AND f.working_day_number = t.working_day_number - s.escalation_days + 1
CROSS JOIN LATERAL (
    SELECT a.id, a.reference, a.authority_id, a.last_action_at, a.assignee_id
    FROM applications a
    WHERE a.service_id = s.id AND a.authority_id = s.authority_id
      AND a.state IN ('submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved')
      AND a.last_action_at < (f.day::timestamp AT TIME ZONE 'Asia/Muscat')
      AND (a.escalated_at IS NULL OR a.escalated_at < a.last_action_at)
    OFFSET 0) a
JOIN calendar_days l ON l.authority_id = a.authority_id
     AND l.day = (a.last_action_at AT TIME ZONE 'Asia/Muscat')::date
LEFT JOIN users u ON u.id = a.assignee_id
WHERE s.escalation_days IS NOT NULL
  AND t.working_day_number - l.working_day_number >= s.escalation_days
ORDER BY a.id
"""

# The same rule without the bound: every waiting application joined to its last action's day.
UNBOUNDED = """
SELECT a.id, a.reference, a.authority_id, s.name_ar, s.name_en,
       coalesce(s.escalate_to, 'department_head'),
       t.working_day_number - l.working_day_number, u.name
FROM applications a
JOIN services s ON s.id = a.service_id
JOIN calendar_days t ON t.authority_id = a.authority_id AND t.day = %(today)s
JOIN calendar_days l ON l.authority_id = a.authority_id
     AND l.day = (a.last_action_at AT TIME ZONE 'Asia/Muscat')::date
LEFT JOIN users u ON u.id = a.assignee_id
WHERE a.state IN ('submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved') AND s.escalation_days IS NOT NULL
  AND (a.escalated_at IS NULL OR a.escalated_at < a.last_action_at)
  AND t.working_day_number - l.working_day_number >= s.escalation_days
ORDER BY a.id
"""

# N open applications in one INSERT ... SELECT per chunk. Each row's bucket, (g * 7919) mod
# 10000, spreads the kinds evenly over the ids: idle past the threshold (21 to 80 days since
# the last action), already escalated in this spell (as long idle, escalated 10 days after),
# waiting on the applicant (info requested or fee due), and the rest acted on in the last 3 days.
LOAD = """
INSERT INTO applications (
    reference, authority_id, service_id, applicant_id, assignee_id, family, action, state,
    details, fee_baisa, required_documents, sla_target_days, sla_started_at, sla_paused_at,
    sla_paused_days, last_action_at, escalated_at, created_at, updated_at)
SELECT 'BENCH-' || g, s.authority_id, s.id, %(applicant)s,
       CASE WHEN g %% 3 = 0 THEN %(assignee)s END, s.family, s.action,
       CASE WHEN kind = 'applicant' THEN (ARRAY['info_requested', 'payment_pending'])[1 + g %% 2]
            ELSE (ARRAY['submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved'])[1 + g %% 5] END,
       '{}', 0, '[]', s.sla_days, last_action, NULL, 0, last_action,
       CASE WHEN kind = 'escalated' THEN last_action + interval '10 days' END,
       last_action, last_action
FROM (
    SELECT g, kind, CASE
           WHEN kind IN ('idle', 'escalated')
               THEN %(now)s - make_interval(days => (21 + g %% 60)::int)
           WHEN kind = 'applicant' THEN %(now)s - make_interval(days => (g %% 90)::int)
           ELSE %(now)s - make_interval(mins => (g %% 4320)::int) END AS last_action,
           (%(services)s::int[])[1 + g %% %(service_count)s] AS service_id
    FROM (
        SELECT g, CASE
               WHEN (g * 7919) %% 10000 < %(idle)s THEN 'idle'
               WHEN (g * 7919) %% 10000 < %(idle)s + %(escalated)s THEN 'escalated'
               WHEN (g * 7919) %% 10000 < %(idle)s + %(escalated)s + 1000 THEN 'applicant'
               ELSE 'recent' END AS kind
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
    ) AS numbered
) AS rows
JOIN services s ON s.id = rows.service_id
"""


def loadavg() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(url: str, redis_url: str, args) -> dict:
    """Migrate, seed, make the staff the notices go to, and load the applications."""
    import flask_migrate
    import psycopg
    import sqlalchemy as sa

    from app import create_app, uow
    from app.accounts.services import create_staff_account
    from app.authorities.models import Authority
    from app.catalogue.models import Service
    from app.extensions import db
    from app.seed import seed_reference_data
    from app.timeutil import utcnow

    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        db.session.commit()
        abg = db.session.scalar(sa.select(Authority.id).where(Authority.code == "ABG"))
        staff = {}
        with uow.transaction():
            for n, (role, language) in enumerate(
                [("department_head", "en"), ("department_head", "ar"), ("inspector", "en")]
                + [("auditor", "en")]  # stands in as every application's applicant
            ):
                data = {
                    "role": role,
                    "department": "licensing",
                    "civil_id": f"{70000000 + n}",
                    "name": f"Bench {role} {n}",
                    "email": f"bench{n}@example.om",
                    "phone": f"+9687000000{n}",
                    "password": "bench password 1",
                }
                staff[role] = create_staff_account(abg, data, language).id
        services = list(
            db.session.scalars(
                sa.select(Service.id)
                .where(Service.authority_id == abg, Service.escalation_days.is_not(None))
                .order_by(Service.id)
            )
        )
        now = utcnow()
    began = time.perf_counter()
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        chunk = 200_000
        for first in range(1, args.size + 1, chunk):
            conn.execute(
                LOAD,
                {
                    "first": first,
                    "last": min(first + chunk - 1, args.size),
                    "applicant": staff["auditor"],
                    "assignee": staff["inspector"],
                    "now": now,
                    "services": services,
                    "service_count": len(services),
                    "idle": round(args.idle_share * 10000),
                    "escalated": round(args.escalated_share * 10000),
                },
            )
        conn.execute("VACUUM ANALYZE applications")
    print(
        f"loaded {args.size:,} open applications in {time.perf_counter() - began:.1f} s "
        f"({len(services)} services with a threshold, one authority)"
    )
    return {"app": app, "now": now}


def timed(run, repeat: int) -> tuple[float, object]:
    """The median seconds of `repeat` runs (after one warm-up), and the last result."""
    result = run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="open applications")
    parser.add_argument("--idle-share", type=float, default=0.01, help="share idle past it")
    parser.add_argument(
        "--escalated-share", type=float, default=0.01, help="share idle, already escalated"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each statement")
    parser.add_argument(
        "--old-loop", type=int, default=5000, help="candidates for the old loop (0: skip)"
    )
    args = parser.parse_args()
    print(loadavg(), "(before)")

    server, redis = start_postgres(), start_redis()
    try:
        url = server.create_database("baladiya_bench_sweep")
        ready = prepare(url, redis.url, args)
        measure(url, ready["app"], ready["now"], args)
    finally:
        server.stop()
        redis.stop()
    print(loadavg(), "(after)")


def measure(url: str, app, now, args) -> None:
    import psycopg
    from sqlalchemy import event

    from app import uow
    from app.extensions import db
    from app.timeutil import MUSCAT
    from licensing.escalation import (
        escalate_idle_applications,
        finding_statement,
        idle_applications,
    )
    from tests.licensing.old_escalation import the_old_loop

    today = now.astimezone(MUSCAT).date()
    size = args.size
    with psycopg.connect(url.replace("+psycopg", "")) as conn:

        def hand_written(sql=HAND_WRITTEN):
            return conn.execute(sql, {"today": today}).fetchall()

        a, by_hand = timed(hand_written, args.repeat)
        a0, unbounded = timed(lambda: hand_written(UNBOUNDED), max(1, args.repeat // 2))
        plan = conn.execute("EXPLAIN " + HAND_WRITTEN, {"today": today}).fetchall()

    with app.app_context():
        # In one transaction, as (a) is: the statement's time, not a new transaction's.
        b, found = timed(lambda: idle_applications(today), args.repeat)
        as_sent = finding_statement("postgresql").params(today=today)
        as_sent = as_sent.compile(db.engine, compile_kwargs={"literal_binds": True})
        sweep_plan = db.session.connection().exec_driver_sql(f"EXPLAIN {as_sent}").all()
        db.session.rollback()

    assert [r[0] for r in by_hand] == [f.id for f in found], "(a) and (b) found other rows"
    assert [r[0] for r in unbounded] == [f.id for f in found], "(a0) and (b) found other rows"
    idle = len(found)
    print(f"{size:,} open applications, {idle:,} idle past their threshold, today {today}")
    print(f"(a)  hand-written SQL, psycopg:     {a * 1000:9.1f} ms  {size / a:13,.0f} rows/s")
    print(f"(a0) same, unbounded (every waiting):{a0 * 1000:8.1f} ms  {size / a0:13,.0f} rows/s")
    print(f"(b)  the sweep's finding statement: {b * 1000:9.1f} ms  {size / b:13,.0f} rows/s")
    print(f"     ratio (b)/(a) = {b / a:.2f}   (goal <= 2)")
    used = [line[0].strip() for line in sweep_plan if "Index" in line[0] or "Scan" in line[0]]
    print("     plan of (b):", "; ".join(used))
    same = [line[0] for line in plan] == [line[0] for line in sweep_plan]
    print(f"     plan of (a) {'is the same' if same else 'differs'}")

    with app.app_context():
        submitted = {"jobs": 0, "seconds": 0.0}
        backend = app.extensions["jobs"]
        submit = backend.submit

        def counted_submit(job):
            began = time.perf_counter()
            submit(job)
            submitted["jobs"] += 1
            submitted["seconds"] += time.perf_counter() - began

        backend.submit = counted_submit
        sent = []

        def record(conn, cursor, statement, *rest):
            sent.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        began = time.perf_counter()
        with uow.transaction():
            escalated = escalate_idle_applications(now)
        c = time.perf_counter() - began
        backend.submit = submit
        event.remove(db.engine, "before_cursor_execute", record)
        assert escalated == idle, (escalated, idle)
        sweep_only = c - submitted["seconds"]
        print(
            f"(c)  the whole sweep, committed:    {sweep_only * 1000:9.1f} ms  "
            f"{size / sweep_only:13,.0f} rows/s  ({idle / sweep_only:,.0f} escalations/s; "
            f"{len(sent)} statements; notices to 2 heads each)"
        )
        print(
            f"     then {submitted['jobs']:,} delivery jobs handed to Redis after commit: "
            f"{submitted['seconds'] * 1000:.0f} ms"
        )

        if args.old_loop:
            began = time.perf_counter()
            the_old_loop(today, limit=args.old_loop)
            old = time.perf_counter() - began
            db.session.rollback()
            print(
                f"(old) the per-application loop, first {args.old_loop:,} candidates: "
                f"{old * 1000:.0f} ms  {args.old_loop / old:,.0f} rows/s (linear: "
                f"{size / (args.old_loop / old):,.0f} s for all)"
            )


if __name__ == "__main__":
    main()
