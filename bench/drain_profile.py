"""The drain of bench/webhooks.py, in process: `--payments` applications paid at localstripe, their
`payment_intent.succeeded` events POSTed (each twice) through Flask's test client with Redis as
the jobs' backend, then one rq `SimpleWorker` (as `flask jobs worker` runs it) in this process
working the queues empty. Printed: the drain's time a payment, and per task the jobs, the time
and the SQL statements each; with `--profile`, cProfile of the worker (by own and cumulative time).

Usage: .venv/bin/python bench/drain_profile.py [--payments 30] [--profile] [--top 40]
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
import tempfile
import time
from collections import defaultdict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhooks import (  # noqa: E402
    STRIPE_SECRET,
    THAWANI_SECRET,
    prepare_payments,
    prepare_schema,
    sign,
    twice,
)
from tests.servers import start_postgres, start_redis  # noqa: E402

JSON = "application/json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--statements", action="store_true", help="print each task's first job's")
    args = parser.parse_args()

    from redis import Redis
    from rq import SimpleWorker
    from sqlalchemy import event

    import jobs.runner
    from app import create_app
    from app.extensions import db
    from jobs import QUEUES
    from tests.mailservers import SmtpServer
    from tests.payments.conftest import LocalStripe

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server, redis, localstripe, smtp = start_postgres(), start_redis(), LocalStripe(), SmtpServer()
    try:
        localstripe.start()
        smtp.start()
        url = server.create_database("baladiya_bench_drain_profile")
        config = {
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "STRIPE_API_BASE": localstripe.url,
            "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "THAWANI_WEBHOOK_SECRET": THAWANI_SECRET,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMS_BACKEND": "console",
            "DOCUMENT_STORAGE_PATH": tempfile.mkdtemp(prefix="bench-drain-documents-"),
            "DATABASE_URL": url,
        }
        prepare_schema(url, config)
        deliveries = prepare_payments(url, config, args.payments, localstripe)
        connection = Redis.from_url(redis.url)
        connection.flushdb()  # the set-up's own notices are not measured
        app = create_app(config)
        client = app.test_client()
        for path, body, headers in twice(deliveries, seed=2):
            answer = client.post(
                path, data=body, headers={**headers, **sign(path, body)}, content_type=JSON
            )
            assert answer.status_code < 300, answer.get_data()
        count = [0]
        current: list[str | None] = [None]
        first_job: dict[str, list[str]] = {}
        per_task: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        run = jobs.runner.execute

        def execute(task, *task_args):
            before, started = count[0], time.perf_counter()
            current[0] = task if task not in first_job else None
            first_job.setdefault(task, [])
            try:
                return run(task, *task_args)
            finally:
                figures = per_task[task]
                figures[0] += 1
                figures[1] += time.perf_counter() - started
                figures[2] += count[0] - before

        jobs.runner.execute = execute
        with app.app_context():

            @event.listens_for(db.engine, "before_cursor_execute")
            def counted(conn, cursor, statement, *_args):
                count[0] += 1
                if current[0]:
                    first_job[current[0]].append(" ".join(statement.split())[:160])

            from app.pdf import warm_up

            warm_up()  # as `flask jobs worker` does before its first job
            worker = SimpleWorker(list(QUEUES), connection=connection)
            profiler = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
            if profiler:
                profiler.disable()
            taken = time.perf_counter() - started
        jobs_run = sum(figures[0] for figures in per_task.values())
        print(
            f"{args.payments} payments drained in {taken:.2f} s by one in-process worker:"
            f" {taken / args.payments * 1000:.0f} ms a payment, {jobs_run} jobs"
            f" ({jobs_run / args.payments:.1f} a payment); e-mails received {len(smtp.messages)}"
            + ("  (profiled)" if profiler else "")
        )
        inside = sum(figures[1] for figures in per_task.values())
        print(
            f"  inside the tasks {inside:.2f} s; rq's own work around them {taken - inside:.2f} s"
        )
        for task, (jobs_of, seconds, statements) in sorted(
            per_task.items(), key=lambda item: -item[1][1]
        ):
            print(
                f"  {task:52} {jobs_of:4} jobs {seconds / jobs_of * 1000:7.1f} ms"
                f" {statements / jobs_of:5.1f} statements a job"
            )
        if args.statements:
            for task, sent in first_job.items():
                print(f"  {task}, its first job:")
                for n, sql in enumerate(sent, 1):
                    print(f"    {n:2}. {sql}")
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    finally:
        smtp.stop()
        localstripe.stop()
        server.stop()
        redis.stop()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
