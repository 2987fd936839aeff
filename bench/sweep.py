"""Escalation ladder benchmark: N open items in PostgreSQL (applications, and a share of cases),
some idle past their service's threshold, some at risk, some already escalated in this spell;
the ladder's statement for the applications timed beside the best hand-written SQL that finds
the same (item, level) rows, in the same run; then the whole sweep over every kind with its
notices and audit rows.

Usage: .venv/bin/python bench/sweep.py [--size 1000000] [--idle-share 0.01]
       .venv/bin/python bench/sweep.py --size 20000          (quick: well under 2 minutes)
Starts its own PostgreSQL and Redis (as the tests do) on free loopback ports. The delivery jobs
of the notices go to Redis, as in production; no worker runs them here.

Printed, each as open items swept per second:
  (a)  the hand-written SQL (below: the best we can write) through a bare psycopg cursor;
  (a0) the same without the bound on the last action and due date (it joins the calendar to
       every waiting application): what the partial indexes save;
  (b)  the ladder's SELECT for the applications (`app.escalation.sweep.firing_select`) through
       the app; and the ratio (b)/(a), the goal <= 2;
  (b+) the SELECTs of every source (applications, refunds, cases, answered cases, messages);
  (c)  the whole sweep in one unit of work: fire, resolve the positions, notices, audit rows,
       commit (the job hand-off to Redis after commit shown apart).
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

WAITING = "('submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved')"
# The best we can write by hand: per service, the first working day that is not idle (today's
# working-day number minus the threshold, plus one) bounds the last action, and the next working
# day bounds the due date, so the partial indexes of waiting applications by (service_id,
# last_action_at) and (service_id, sla_due_date) are scanned only over the applications that may
# fire a level; their idle days are one lookup of the last action's day each, and each level is
# kept unless it fired in this spell. A LATERAL subquery, kept one by OFFSET 0: merged into the
# join, the bounds (from a join, so the planner guesses a third of the rows) make PostgreSQL scan
# the whole table.
ITEMS = f"""
SELECT a.id, a.last_action_at AS spell_start, a.due, s.escalation_days,
       s.director_escalation_days, t.working_day_number AS today_number, t.day AS today,
       t.working_day_number - l.working_day_number AS idle, d.working_day_number AS due_number
FROM services s
JOIN calendar_days t ON t.authority_id = s.authority_id AND t.day = %(today)s
LEFT JOIN calendar_days f ON f.authority_id = s.authority_id AND f.is_working
     AND f.working_day_number = t.working_day_number - s.escalation_days + 1
LEFT JOIN calendar_days n ON n.authority_id = s.authority_id AND n.is_working
     AND n.working_day_number = t.working_day_number + 1
CROSS JOIN LATERAL (
    SELECT a.id, a.authority_id, a.last_action_at,
           CASE WHEN a.sla_started_at IS NOT NULL AND a.sla_stopped_at IS NULL
                THEN a.sla_due_date END AS due
    FROM applications a
    WHERE a.service_id = s.id AND a.authority_id = s.authority_id
      AND a.state IN {WAITING} AND a.sla_paused_at IS NULL
      AND (a.last_action_at < (f.day::timestamp AT TIME ZONE 'Asia/Muscat')
           OR a.sla_due_date <= n.day)
    OFFSET 0) a
JOIN calendar_days l ON l.authority_id = a.authority_id
     AND l.day = (a.last_action_at AT TIME ZONE 'Asia/Muscat')::date
LEFT JOIN calendar_days d ON d.authority_id = a.authority_id AND d.day = a.due
"""  # noqa: S608 - our constants only
# The same items without the bounds: every waiting application joined to its days.
UNBOUNDED_ITEMS = f"""
SELECT a.id, a.last_action_at AS spell_start,
       CASE WHEN a.sla_started_at IS NOT NULL AND a.sla_stopped_at IS NULL
            THEN a.sla_due_date END AS due,
       s.escalation_days, s.director_escalation_days, t.working_day_number AS today_number,
       t.day AS today, t.working_day_number - l.working_day_number AS idle,
       d.working_day_number AS due_number
FROM applications a
JOIN services s ON s.id = a.service_id
JOIN calendar_days t ON t.authority_id = a.authority_id AND t.day = %(today)s
JOIN calendar_days l ON l.authority_id = a.authority_id
     AND l.day = (a.last_action_at AT TIME ZONE 'Asia/Muscat')::date
LEFT JOIN calendar_days d ON d.authority_id = a.authority_id AND d.day = a.sla_due_date
WHERE a.state IN {WAITING} AND a.sla_paused_at IS NULL
"""  # noqa: S608 - our constants only
LEVELS = """
WITH i AS ({items})
SELECT i.id, lv.level FROM i CROSS JOIN (VALUES (1), (2), (3)) AS lv(level)
WHERE CASE lv.level
        WHEN 1 THEN i.due >= i.today AND i.due_number - i.today_number <= 1
        WHEN 2 THEN i.due < i.today OR i.idle >= i.escalation_days
        ELSE i.today_number - (
            SELECT fd.working_day_number FROM escalations e
            JOIN calendar_days fd ON fd.authority_id = e.authority_id
                 AND fd.day = (e.fired_at AT TIME ZONE 'Asia/Muscat')::date
            WHERE e.kind = 'application' AND e.item_id = i.id AND e.level = 2
              AND e.spell_start = i.spell_start) >= i.director_escalation_days
      END
  AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.kind = 'application'
                  AND e.item_id = i.id AND e.level = lv.level AND e.spell_start = i.spell_start)
ORDER BY i.id, lv.level
"""
HAND_WRITTEN = LEVELS.format(items=ITEMS)
UNBOUNDED = LEVELS.format(items=UNBOUNDED_ITEMS)

# N open items in one INSERT ... SELECT per chunk. Each row's bucket, (g * 7919) mod 10000,
# spreads the kinds evenly over the ids: idle past the threshold (21 to 80 days since the last
# action), already escalated in this spell (as long idle, level 2 fired yesterday), due by the
# next working day (acted on 4 days ago), waiting on the applicant (paused, or fee due), and the
# rest acted on in the last 3 days with a due date a week on.
BUCKETS = """
SELECT g, kind, CASE
       WHEN kind IN ('idle', 'escalated') THEN %(now)s - make_interval(days => (21 + g %% 60)::int)
       WHEN kind = 'due' THEN %(now)s - interval '4 days'
       WHEN kind = 'applicant' THEN %(now)s - make_interval(days => (g %% 90)::int)
       ELSE %(now)s - make_interval(mins => (g %% 4320)::int) END AS last_action,
       CASE WHEN kind = 'due' THEN %(tomorrow)s::date
            WHEN kind = 'recent' THEN %(today)s::date + 7
            ELSE %(today)s::date - 5 END AS due,
       (%(services)s::int[])[1 + g %% %(service_count)s] AS service_id
FROM (
    SELECT g, CASE
           WHEN (g * 7919) %% 10000 < %(idle)s THEN 'idle'
           WHEN (g * 7919) %% 10000 < %(idle)s + %(escalated)s THEN 'escalated'
           WHEN (g * 7919) %% 10000 < %(idle)s + %(escalated)s + %(due)s THEN 'due'
           WHEN (g * 7919) %% 10000 < %(idle)s + %(escalated)s + %(due)s + 1000 THEN 'applicant'
           ELSE 'recent' END AS kind
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
) AS numbered
"""
LOAD_APPLICATIONS = f"""
INSERT INTO applications (
    reference, authority_id, service_id, applicant_id, assignee_id, family, action, state,
    details, fee_baisa, required_documents, sla_target_days, sla_started_at, sla_paused_at,
    sla_paused_days, sla_due_date, queue_band, last_action_at, created_at, updated_at)
SELECT 'BENCH-' || g, s.authority_id, s.id, %(applicant)s,
       CASE WHEN g %% 3 = 0 THEN %(assignee)s END, s.family, s.action,
       CASE WHEN kind = 'applicant' THEN (ARRAY['info_requested', 'payment_pending'])[1 + g %% 2]
            ELSE (ARRAY['submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved'])[1 + g %% 5] END,
       '{{}}', 0, '[]', s.sla_days, last_action,
       CASE WHEN kind = 'applicant' THEN last_action END, 0, due, 2, last_action,
       last_action, last_action
FROM ({BUCKETS}) AS rows
JOIN services s ON s.id = rows.service_id
"""  # noqa: S608 - our constants only
LOAD_CASES = f"""
INSERT INTO cases (
    reference, kind, state, authority_id, service_id, department_id, assignee_id, channel,
    subject, description, classification, reopen_count, last_action_at, sla_target_days,
    sla_started_at, sla_paused_days, sla_due_date, moderation_state, created_at, updated_at)
SELECT 'BENCH-CASE-' || g, 'complaint',
       CASE WHEN kind = 'applicant' THEN 'answered'
            ELSE (ARRAY['received', 'acknowledged', 'in_study'])[1 + g %% 3] END,
       s.authority_id, s.id, s.department_id, CASE WHEN g %% 3 = 0 THEN %(assignee)s END,
       'portal', 'A complaint', 'Described', 'confidential', 0, last_action, s.sla_days,
       last_action, 0, CASE WHEN kind = 'applicant' THEN NULL ELSE due END, 'approved',
       last_action, last_action
FROM ({BUCKETS}) AS rows
JOIN services s ON s.id = rows.service_id
"""  # noqa: S608 - our constants only
# Level 2 fired yesterday in the current spell of the 'escalated' bucket: scanned, not fired.
ALREADY_ESCALATED = """
INSERT INTO escalations (kind, item_id, level, spell_start, fired_at, reference, authority_id,
                         service_id, idle_days, recipients, channels)
SELECT 'application', a.id, 2, a.last_action_at, %(now)s - interval '1 day', a.reference,
       a.authority_id, a.service_id, 20, '[]', '[]'
FROM applications a
WHERE a.reference LIKE 'BENCH-%%' AND (substr(a.reference, 7)::bigint * 7919) %% 10000
      BETWEEN %(idle)s AND %(idle)s + %(escalated)s - 1
"""


def loadavg() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(url: str, redis_url: str, args) -> dict:
    """Migrate, seed, make the staff the notices go to (holding every position of the
    authority), and load the items."""
    import flask_migrate
    import sqlalchemy as sa

    from app import create_app, uow
    from app.accounts.services import create_staff_account
    from app.authorities.models import Authority
    from app.catalogue.models import Service
    from app.extensions import db
    from app.positions.models import Position
    from app.seed import seed_reference_data
    from app.timeutil import MUSCAT, utcnow

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
            db.session.execute(
                sa.update(Position)
                .where(Position.authority_id == abg)
                .values(holder_id=staff["department_head"])
            )

        def services(complaints: bool) -> list[int]:
            family = Service.family == "complaint"
            return list(
                db.session.scalars(
                    sa.select(Service.id)
                    .where(
                        Service.authority_id == abg,
                        Service.escalation_days.is_not(None),
                        family if complaints else sa.not_(family),
                    )
                    .order_by(Service.id)
                )
            )

        kinds = {"applications": services(False), "cases": services(True) or services(False)}
        now = utcnow()
    today = now.astimezone(MUSCAT).date()
    with app.app_context():
        from app.calendar.services import calendar_for

        tomorrow = calendar_for(abg).add(today, 1)
    cases = round(args.size * args.case_share)
    began = time.perf_counter()
    import psycopg

    shares = {
        "idle": round(args.idle_share * 10000),
        "escalated": round(args.escalated_share * 10000),
        "due": round(args.due_share * 10000),
    }
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        for sql, count, service_ids in (
            (LOAD_APPLICATIONS, args.size - cases, kinds["applications"]),
            (LOAD_CASES, cases, kinds["cases"]),
        ):
            chunk = 200_000
            for first in range(1, count + 1, chunk):
                conn.execute(
                    sql,
                    {
                        "first": first,
                        "last": min(first + chunk - 1, count),
                        "applicant": staff["auditor"],
                        "assignee": staff["inspector"],
                        "now": now,
                        "today": today,
                        "tomorrow": tomorrow,
                        "services": service_ids,
                        "service_count": len(service_ids),
                        **shares,
                    },
                )
        conn.execute(ALREADY_ESCALATED, {"now": now, **shares})
        conn.execute("VACUUM ANALYZE applications")
        conn.execute("VACUUM ANALYZE cases")
        conn.execute("VACUUM ANALYZE escalations")
    print(
        f"loaded {args.size - cases:,} open applications and {cases:,} open cases in "
        f"{time.perf_counter() - began:.1f} s ({len(kinds['applications'])} services with a "
        f"threshold, one authority)"
    )
    return {"app": app, "now": now}


def explained(engine, run) -> list[tuple[str]]:
    """The plan of the statement `run` sends, EXPLAINed with its parameters instead of run."""
    from sqlalchemy import event

    plan = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        cursor.execute("EXPLAIN " + statement, parameters)
        plan.extend(cursor.fetchall())
        return "SELECT 1 WHERE false", ()

    event.listen(engine, "before_cursor_execute", explain, retval=True)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    return plan


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
    parser.add_argument("--size", type=int, default=1_000_000, help="open items")
    parser.add_argument("--case-share", type=float, default=0.05, help="share of them cases")
    parser.add_argument("--idle-share", type=float, default=0.01, help="share idle past it")
    parser.add_argument(
        "--escalated-share", type=float, default=0.01, help="share idle, already escalated"
    )
    parser.add_argument("--due-share", type=float, default=0.005, help="share due tomorrow")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each statement")
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
    from app.escalation import sources
    from app.escalation.sweep import escalate, firing_select
    from app.extensions import db
    from app.timeutil import MUSCAT

    today = now.astimezone(MUSCAT).date()
    size = args.size
    with psycopg.connect(url.replace("+psycopg", "")) as conn:

        def hand_written(sql=HAND_WRITTEN):
            return conn.execute(sql, {"today": today}).fetchall()

        a, by_hand = timed(hand_written, args.repeat)
        a0, unbounded = timed(lambda: hand_written(UNBOUNDED), max(1, args.repeat // 2))
        plan = conn.execute("EXPLAIN " + HAND_WRITTEN, {"today": today}).fetchall()

    values = {"today": today, "now": now}
    ours = firing_select(sources.applications("postgresql"))
    every = [firing_select(source("postgresql")) for source in sources.SOURCES]
    with app.app_context():
        # In one transaction, as (a) is: the statement's time, not a new transaction's.
        def the_ladders():
            rows = db.session.execute(ours, values).all()
            return sorted((row.item_id, row.level) for row in rows)

        b, found = timed(the_ladders, args.repeat)
        each = {
            source.__name__: timed(
                lambda select=select: db.session.execute(select, values).all(), args.repeat
            )[0]
            for source, select in zip(sources.SOURCES, every, strict=True)
        }
        b_all = sum(each.values())
        refunds_plan = explained(db.engine, lambda: db.session.execute(every[1], values))
        sweep_plan = explained(db.engine, lambda: db.session.execute(ours, values))
        db.session.rollback()

    assert [tuple(r) for r in by_hand] == found, "(a) and (b) found other rows"
    assert [tuple(r) for r in unbounded] == found, "(a0) and (b) found other rows"
    levels = {n: sum(1 for _, level in found if level == n) for n in (1, 2, 3)}
    print(
        f"{size:,} open items; the applications fire {len(found):,} levels "
        f"(1: {levels[1]:,}, 2: {levels[2]:,}, 3: {levels[3]:,}); today {today}"
    )
    print(f"(a)  hand-written SQL, psycopg:     {a * 1000:9.1f} ms  {size / a:13,.0f} rows/s")
    print(f"(a0) same, unbounded (every waiting):{a0 * 1000:8.1f} ms  {size / a0:13,.0f} rows/s")
    print(f"(b)  the ladder's SELECT:           {b * 1000:9.1f} ms  {size / b:13,.0f} rows/s")
    print(f"     ratio (b)/(a) = {b / a:.2f}   (goal <= 2)")
    print(
        f"(b+) every source's SELECT:         {b_all * 1000:9.1f} ms  {size / b_all:13,.0f} rows/s"
    )
    print("     by source:", ", ".join(f"{name} {t * 1000:.1f} ms" for name, t in each.items()))
    used = [line[0].strip() for line in sweep_plan if "Index" in line[0] or "Scan" in line[0]]
    print("     plan of (b):", "; ".join(used))
    used = [line[0].strip() for line in refunds_plan if "Scan" in line[0]]
    print("     plan of the refunds' SELECT:", "; ".join(used))
    used = [line[0].strip() for line in plan if "Index" in line[0] or "Scan" in line[0]]
    print("     plan of (a):", "; ".join(used))

    with app.app_context():
        submitted = {"jobs": 0, "seconds": 0.0}
        backend = app.extensions["jobs"]
        submit_all = backend.submit_all

        def counted_submit_all(jobs):
            began = time.perf_counter()
            submit_all(jobs)
            submitted["jobs"] += len(jobs)
            submitted["seconds"] += time.perf_counter() - began

        backend.submit_all = counted_submit_all
        sent = []

        def record(conn, cursor, statement, *rest):
            sent.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        began = time.perf_counter()
        with uow.transaction():
            escalated = escalate(now)
        c = time.perf_counter() - began
        backend.submit_all = submit_all
        event.remove(db.engine, "before_cursor_execute", record)
        assert escalated >= len(found), (escalated, len(found))
        sweep_only = c - submitted["seconds"]
        print(
            f"(c)  the whole sweep, committed:    {sweep_only * 1000:9.1f} ms  "
            f"{size / sweep_only:13,.0f} rows/s  ({escalated:,} escalations of every kind, "
            f"{escalated / sweep_only:,.0f}/s; {len(sent)} statements)"
        )
        print(
            f"     then {submitted['jobs']:,} delivery jobs handed to Redis after commit: "
            f"{submitted['seconds'] * 1000:.0f} ms"
        )
        began = time.perf_counter()
        with uow.transaction():
            again = escalate(now)
        print(
            f"(c2) the next sweep (nothing new):  {(time.perf_counter() - began) * 1000:9.1f} ms"
            f"  ({again} escalations)"
        )


if __name__ == "__main__":
    main()
