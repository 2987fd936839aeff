"""Staff queue benchmark: `GET /api/v1/applications` as an inspector (the authority's work queue,
by SLA due date) with N applications in the authority, PostgreSQL.

Usage: .venv/bin/python bench/queue.py [--sizes 10000,1000000] [--requests 300]
Quick:  .venv/bin/python bench/queue.py --sizes 1000,10000 --requests 100

Starts its own PostgreSQL on a free loopback port and fills it with INSERT ... SELECT
generate_series (the sizes in turn: each adds rows to the one before), a spread of states
(drafts without a due date, running, paused and decided clocks), 40 services, 1 applicant in 20
rows, 25 inspectors as assignees (a third unassigned), due dates from 8 months back to 4 months
ahead. Each page is requested through the app in this process (Flask's test client: no HTTP
server, no network); p50/p95/p99 in ms, beside two baselines of the same run: a bare Flask JSON
endpoint through the same test client, and the page's own SQL sent alone (psycopg, the statement
and parameters the app sent). Then the page's plan (an index scan, not a sequential scan) and the
statements one request sends.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import datetime as dt
import functools
import os
import re
import statistics
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import start_postgres  # noqa: E402

PASSWORD = "bench password 1"
SECRET = "bench-secret-key-that-is-long-enough-for-hs256"
INSPECTORS = 25

FILL = """
INSERT INTO applications (
    reference, authority_id, service_id, applicant_id, assignee_id, family, action, state,
    details, fee_baisa, required_documents, submitted_at, decided_at, last_action_at,
    sla_target_days, sla_started_at, sla_paused_at, sla_paused_days, sla_stopped_at,
    sla_due_date, queue_band, created_at, updated_at)
SELECT
    'BENCH-' || n, %(authority)s, s.id, (%(applicants)s::int[])[1 + n %% cardinality(%(applicants)s::int[])],
    CASE WHEN n %% 3 = 0 THEN NULL
         ELSE (%(inspectors)s::int[])[1 + n %% cardinality(%(inspectors)s::int[])] END,
    s.family, s.action,
    CASE WHEN b < 10 THEN 'draft' WHEN b < 15 THEN 'info_requested'
         WHEN b < 25 THEN 'in_review' WHEN b < 30 THEN 'inspection_scheduled'
         WHEN b < 35 THEN 'approved' WHEN b < 85 THEN 'issued' WHEN b < 95 THEN 'rejected'
         ELSE 'withdrawn' END,
    '{}', s.fee_baisa, '[]',
    CASE WHEN b >= 10 THEN started END,
    CASE WHEN b >= 35 THEN started + interval '5 days' END,
    started, s.sla_days,
    CASE WHEN b >= 10 THEN started END,
    CASE WHEN b BETWEEN 10 AND 14 THEN started + interval '2 days' END,
    0,
    CASE WHEN b >= 35 THEN started + interval '5 days' END,
    due,
    -- licensing.queue_bands, with tomorrow for the next working day (the bench's calendar)
    CASE WHEN due IS NULL THEN 3 WHEN due < muscat_today THEN 0
         WHEN due <= muscat_today + 1 THEN 1 ELSE 2 END,
    started, started
FROM (
    SELECT *, (now() AT TIME ZONE 'Asia/Muscat')::date AS muscat_today,
           CASE WHEN b >= 35 THEN (started + interval '8 days')::date
                WHEN b >= 10 THEN current_date + (n * 13) %% 40 - 12 END AS due
    FROM (
        SELECT n, ((n::bigint * 7919) %% 100)::int AS b,
               now() - make_interval(days => CASE WHEN ((n::bigint * 7919) %% 100)::int BETWEEN 10 AND 34
                   THEN (n * 17) %% 20 ELSE (n * 31) %% 240 END) AS started,
               1 + n %% cardinality(%(services)s::int[]) AS pick
        FROM generate_series(%(first)s::int, %(last)s::int) AS n
    ) AS base
) AS rows
JOIN services AS s ON s.id = (%(services)s::int[])[rows.pick]
"""


def prepare(url: str) -> dict:
    """Migrate, seed, and make the inspectors (one signs in) and 50,000 applicants of NBG."""
    import flask_migrate
    import sqlalchemy as sa

    from app import create_app, uow
    from app.accounts.services import create_staff_account
    from app.authorities.models import Authority
    from app.catalogue.models import Service
    from app.extensions import db
    from app.seed import seed_reference_data

    app = create_app(_config(url))
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        db.session.commit()
        authority = db.session.scalar(sa.select(Authority).where(Authority.code == "NBG"))
        authority_id = authority.id
        with uow.transaction():  # the one who signs in; the others straight into the table
            staff = create_staff_account(
                authority_id,
                {
                    "role": "inspector",
                    "department": "licensing",
                    "civil_id": "90000000",
                    "name": "Inspector 0",
                    "email": "inspector0@bench.example.om",
                    "phone": "+96890000000",
                    "password": PASSWORD,
                },
                "en",
            )
            me = staff.id
        db.session.execute(
            sa.text(
                "INSERT INTO users (kind, role, civil_id, name, email, phone, preferred_language,"
                " password_hash, authority_id, is_active, created_at, updated_at)"
                " SELECT 'staff', 'inspector', '9' || lpad(n::text, 7, '0'), 'Inspector ' || n,"
                " 'inspector' || n || '@bench.example.om', '+96890000000', 'en', 'not-a-hash',"
                " :authority, true, now(), now() FROM generate_series(1, :count) AS n"
            ),
            {"authority": authority_id, "count": INSPECTORS - 1},
        )
        inspectors = [me] + db.session.scalars(
            sa.text("SELECT id FROM users WHERE role = 'inspector' AND id <> :me ORDER BY id"),
            {"me": me},
        ).all()
        db.session.execute(
            sa.text(
                "INSERT INTO users (kind, role, civil_id, name, email, phone, preferred_language,"
                " password_hash, is_active, created_at, updated_at)"
                " SELECT 'individual', 'applicant', '5' || lpad(n::text, 7, '0'),"
                " 'Applicant ' || n, 'applicant' || n || '@bench.example.om', '+96890000000',"
                " 'en', 'not-a-hash', true, now(), now() FROM generate_series(1, 50000) AS n"
            )
        )
        applicants = db.session.scalars(
            sa.select(sa.text("id"))
            .select_from(sa.text("users"))
            .where(sa.text("role = 'applicant'"))
        ).all()
        services = db.session.scalars(
            sa.select(Service.id).where(Service.authority_id == authority_id).order_by(Service.id)
        ).all()[:40]
        db.session.commit()
    print(f"{len(inspectors)} inspectors, {len(applicants):,} applicants, {len(services)} services")
    return {
        "app": app,
        "authority": authority_id,
        "inspectors": inspectors,
        "applicants": list(applicants),
        "services": list(services),
    }


def _config(url: str) -> dict:
    return {
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": SECRET,
        "REDIS_URL": "",
        "RATE_LIMITS_ENABLED": False,
    }


def fill(dsn: str, world: dict, first: int, last: int) -> float:
    """Applications `first`..`last` of the authority; the seconds it took (with VACUUM ANALYZE)."""
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        step = 250_000
        for lo in range(first, last + 1, step):
            conn.execute(
                FILL,
                {
                    "authority": world["authority"],
                    "applicants": world["applicants"],
                    "inspectors": world["inspectors"],
                    "services": world["services"],
                    "first": lo,
                    "last": min(lo + step - 1, last),
                },
            )
        conn.execute("VACUUM ANALYZE applications")
    return time.perf_counter() - began


def timings(send, count: int) -> list[float]:
    send()  # warm: the first of each kind compiles its statement
    found = []
    for _ in range(count):
        began = time.perf_counter()
        send()
        found.append((time.perf_counter() - began) * 1000)
    return found


def summary(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:7.2f}  p95 {cuts[94]:7.2f}  p99 {cuts[98]:7.2f} ms"


class Recorder:
    """The statements (and parameters) the app's engine sends while it is on."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.sent: list[tuple[str, object]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.sent.append((statement, parameters))

    def during(self, send) -> list[tuple[str, object]]:
        self.sent, self.on = [], True
        try:
            send()
        finally:
            self.on = False
        return self.sent


class ViewTimer:
    """The time spent inside one endpoint's view function (its arguments, the page, the answer),
    without what every request pays around it (authentication, hooks, the limiter)."""

    def __init__(self, app, endpoint: str) -> None:
        self.times: list[float] = []
        view = app.view_functions[endpoint]

        @functools.wraps(view)  # keeps view_class, which the access check reads
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return view(*args, **kwargs)
            finally:
                self.times.append((time.perf_counter() - began) * 1000)

        app.view_functions[endpoint] = timed


def compare(results: dict) -> None:
    """p50 / p99 of each page at every size, side by side."""
    sizes = sorted(results)
    print(f"\n== p50 / p99 in ms by size: {', '.join(f'{n:,}' for n in sizes)}")
    for name in ("/ping", "/me"):
        cells = "   ".join(_cut(results[n][name]) for n in sizes)
        print(f"  {'baseline ' + name:34s} {cells}")
    for label in [k for k in results[sizes[0]] if k not in ("/ping", "/me")]:
        for part in ("page", "view", "sql"):
            title = {"page": label, "view": "  inside the view", "sql": "  its page SQL alone"}[
                part
            ]
            cells = "   ".join(_cut(results[n][label][part]) for n in sizes)
            print(f"  {title:34s} {cells}")


def _cut(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cuts[49]:7.2f} / {cuts[98]:7.2f}"


def measure(world: dict, dsn: str, size: int, requests: int, results: dict) -> None:
    import psycopg
    import sqlalchemy as sa

    from app.extensions import db
    from app.pagination import Keyset
    from bench.bare_app import app as bare_app
    from licensing.models import Application
    from licensing.services import QUEUE_ORDER

    app = world["app"]
    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login",
        json={"email": "inspector0@bench.example.om", "password": PASSWORD},
    )
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    with app.app_context():
        middle = db.session.execute(
            sa.select(*QUEUE_ORDER)
            .where(Application.authority_id == world["authority"])
            .order_by(*QUEUE_ORDER)
            .offset(size // 2)
            .limit(1)
        ).one()
        service_code = db.session.scalar(
            sa.text("SELECT code FROM services WHERE id = :id"), {"id": world["services"][7]}
        )
    with app.test_request_context():
        cursor = Keyset(sa.select(Application), QUEUE_ORDER, "applications.queue").encode(middle)
    pages = {
        "queue, page 1": "/api/v1/applications",
        "queue, by cursor, mid-list": f"/api/v1/applications?cursor={cursor}",
        "state=in_review": "/api/v1/applications?state=in_review",
        "assignee=me": "/api/v1/applications?assignee=me",
        "service=one of 40": f"/api/v1/applications?service={service_code}",
        "sla_state=breached": "/api/v1/applications?sla_state=breached",
        "sla_state=at_risk": "/api/v1/applications?sla_state=at_risk",
        "family=lease, by cursor": f"/api/v1/applications?family=lease&cursor={cursor}",
    }
    bare = bare_app.test_client()
    with app.app_context():
        recorder = Recorder(db.engine)
    in_view = ViewTimer(app, "applications.Applications")

    shown: list[int] = []

    def get(url):
        def send():
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            shown.append(len(response.get_json()))

        return send

    print(f"\n== {size:,} applications in the authority ({requests} requests a figure)")
    ping = timings(lambda: bare.get("/ping"), requests)
    print(f"  {'baseline: bare Flask /ping, test client':44s} {summary(ping)}")
    me = timings(lambda: client.get("/api/v1/me", headers=headers), requests)
    print(f"  {'baseline: GET /api/v1/me (signed in)':44s} {summary(me)}")
    results[size] = {"/ping": ping, "/me": me}
    with psycopg.connect(dsn, autocommit=True) as raw:
        for label, url in pages.items():
            in_view.times = []
            app_times = timings(get(url), requests)
            view_times = in_view.times[1:]  # the warm-up left out, as in app_times
            sent = recorder.during(get(url))
            statement, parameters = next(
                (s, p) for s, p in sent if re.search(r"\bFROM applications\b.*ORDER BY ", s, re.S)
            )
            sql_times = timings(
                lambda s=statement, p=parameters: raw.execute(s, p).fetchall(), requests
            )
            all_times = timings(
                lambda sent=sent: [raw.execute(s, p).fetchall() for s, p in sent], requests
            )
            plan = [
                r[0] for r in raw.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
            ]
            scans = [line.strip() for line in plan if "Scan" in line and "applications" in line]
            print(f"  {label:44s} {summary(app_times)}   {len(sent)} statements, {shown[-1]} items")
            print(f"  {'  inside the view (no auth, hooks, limiter)':44s} {summary(view_times)}")
            print(f"  {'  its page SQL alone (baseline)':44s} {summary(sql_times)}")
            print(f"  {f'  its {len(sent)} statements alone':44s} {summary(all_times)}")
            print(f"  {'  plan':44s} {'; '.join(scans)}")
            sorted_rows = [
                int(m) for m in re.findall(r"Sort \(actual.*? rows=(\d+)", "\n".join(plan))
            ]
            if any("Seq Scan" in s for s in scans) or any(n > 21 for n in sorted_rows):
                print(
                    "    !! a sequential scan or a sort of more than the page:\n      "
                    + "\n      ".join(plan)
                )
            results[size][label] = {"page": app_times, "view": view_times, "sql": sql_times}
        offset_page = max(1, size // 2 // 20)
        deep = timings(get(f"/api/v1/applications?page={offset_page}"), min(requests, 10))
        print(f"  {f'reference: page={offset_page} by OFFSET':44s} {summary(deep)}")
        began = time.perf_counter()
        total = raw.execute(
            "SELECT count(*) FROM applications WHERE authority_id = %s", (world["authority"],)
        ).fetchone()[0]
        print(
            f"  {'reference: an uncapped count (what page 1 did)':44s} "
            f"{(time.perf_counter() - began) * 1000:7.2f} ms ({total:,} rows)"
        )


def bands(world: dict, size: int) -> None:
    """The queue bands' refresh (licensing.queue_bands) at this size: the run every 15 minutes
    that finds nothing to move, the one after midnight that moves a day's worth (the clock set
    to tomorrow), and back; each one UPDATE per authority."""
    from app import timeutil, uow
    from licensing.queue_bands import refresh_queue_bands

    app = world["app"]
    tomorrow = timeutil.utcnow() + dt.timedelta(days=1)
    for label, frozen in (("nothing to move", None), ("the day turns", tomorrow), ("back", None)):
        timeutil.frozen_at = frozen
        with app.app_context(), uow.transaction():
            began = time.perf_counter()
            moved = refresh_queue_bands()
            ms = (time.perf_counter() - began) * 1000
        print(f"  band refresh, {label:<16} {ms:9.1f} ms   {moved:,} applications moved ({size:,})")
    timeutil.frozen_at = None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    print(f"load average before: {os.getloadavg()}")
    server = start_postgres()
    try:
        url = server.create_database("baladiya_bench_queue")
        dsn = url.replace("+psycopg", "")
        world = prepare(url)
        done, results = 0, {}
        for size in sizes:
            seconds = fill(dsn, world, done + 1, size)
            print(f"\nloaded {size - done:,} applications in {seconds:.1f} s (with VACUUM ANALYZE)")
            done = size
            measure(world, dsn, size, args.requests, results)
            bands(world, size)
        compare(results)
    finally:
        server.stop()
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
