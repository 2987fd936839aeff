"""Profile of submitting an application, in process: the app on a PostgreSQL of its own
(tests/servers.py), the drafts made by bench/applications.py's prepare(), the applicant logged in
with Flask's test client; cProfile over N submits, beside a bare Flask test client GET timed in the
same run.

Usage: .venv/bin/python bench/submit_profile.py [--submits 60] [--top 40] [--sort cumulative]
Quick try: --submits 30 (about a minute with the set-up).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import cProfile
import os
import pstats
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import start_postgres, start_redis  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=60)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    from bench.applications import PASSWORD, prepare
    from bench.bare_app import app as bare

    server, redis = start_postgres(), start_redis()
    try:
        url = server.create_database("baladiya_submit_profile")
        warm = 10
        drafts, _ = prepare(url, redis.url, args.submits * 2 + warm + 20, 0)
        from app import create_app

        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": redis.url,
                "LOG_LEVEL": "WARNING",
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            }
        )
        client = app.test_client()
        token = client.post(
            "/api/v1/auth/login", json={"email": "bench@example.om", "password": PASSWORD}
        ).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def submit(i):
            response = client.post(
                f"/api/v1/applications/{i}/actions/submit", json={}, headers=headers
            )
            assert response.status_code == 200, response.get_json()

        for i in drafts[:warm]:
            submit(i)
        if os.environ.get("STATEMENT_TIMES"):
            import collections

            import sqlalchemy as sa

            from app.extensions import db

            with app.app_context():
                engine = db.engine
            spent = collections.defaultdict(list)

            @sa.event.listens_for(engine, "before_cursor_execute")
            def _before(conn, cursor, statement, parameters, context, executemany):
                conn.info["began"] = time.perf_counter()

            @sa.event.listens_for(engine, "after_cursor_execute")
            def _after(conn, cursor, statement, parameters, context, executemany):
                spent[" ".join(statement.split()[:6])].append(
                    time.perf_counter() - conn.info["began"]
                )

            for i in drafts[warm : warm + 20]:
                submit(i)
            for sql, times in spent.items():
                print(f"{sum(times) / len(times) * 1000:8.3f} ms x{len(times):3}  {sql}")
            warm += 20
        timed, profiled = drafts[warm : warm + args.submits], drafts[warm + args.submits :]
        bare_client = bare.test_client()
        for _ in range(50):
            bare_client.get("/ping")
        began = time.perf_counter()
        for _ in range(args.submits):
            bare_client.get("/ping")
        bare_ms = (time.perf_counter() - began) / args.submits * 1000
        began, cpu, tcpu = time.perf_counter(), time.process_time(), time.thread_time()
        for i in timed:
            submit(i)
        submit_ms = (time.perf_counter() - began) / args.submits * 1000
        cpu_ms = (time.process_time() - cpu) / args.submits * 1000
        thread_ms = (time.thread_time() - tcpu) / args.submits * 1000
        print(f"submit, this thread's CPU:    {thread_ms:.3f} ms")
        print(f"bare Flask GET (test client): {bare_ms:.3f} ms")
        print(f"submit (test client):         {submit_ms:.3f} ms   ratio {bare_ms / submit_ms:.3f}")
        import threading

        print("threads:", [t.name for t in threading.enumerate()])
        print(
            f"submit, this process's CPU:   {cpu_ms:.3f} ms (the rest waits on PostgreSQL, Redis)"
        )
        profile = cProfile.Profile()
        profile.enable()
        for i in profiled[: args.submits]:
            submit(i)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    finally:
        server.stop()
        redis.stop()
    print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
