"""Catalogue benchmark: a revalidated catalogue page (If-None-Match, answered 304) beside a bare
Flask JSON endpoint, both under the same gunicorn set-up with PostgreSQL, in the same run.

Closed loops of `--clients` connections, `--rounds` rounds of `--seconds` each, alternating bare
Flask and the 304 so that the machine's drift touches both alike; the figure is the ratio of the
medians. The full first page (200, about 20 kB) and a full 100-service page (about 90 kB) are
shown for scale. Goal (issue 13): the 304 at >= 0.8x bare Flask.

Usage: .venv/bin/python bench/catalogue.py [--seconds 10] [--rounds 3] [--clients 16] [--workers 4]
       .venv/bin/python bench/catalogue.py --quick   (3 s rounds, 2 of them: about a minute)
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import http.client
import os
import statistics
from collections import Counter
from functools import partial

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import Bare, cpu_seconds, line, load_average, run, serve, stop  # noqa: E402
from tests.servers import free_port, start_postgres  # noqa: E402

GOAL = 0.8
FIRST_PAGE = "/api/v1/services?page=1"
BIG_PAGE = "/api/v1/services?page_size=100"


class Catalogue:
    """One catalogue address, asked with the ETag it answered (`etag`) or without."""

    short: Counter = Counter()

    def __init__(self, path: str, etag: str | None, share: int = 0, of: int = 1) -> None:
        headers = {"If-None-Match": etag} if etag else {}
        self.request = ("catalogue", "GET", path, None, headers)

    def next(self):
        return self.request


def prepare(url: str) -> None:
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from app.seed import seed_reference_data

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        db.session.commit()


def etag_of(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.getheader("ETag")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3, 2

    print(f"start: {load_average()}")
    postgres = start_postgres()
    servers = []
    try:
        url = postgres.create_database("baladiya_bench_catalogue")
        prepare(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
        }
        app_port, bare_port = free_port(), free_port()
        servers.append(serve("wsgi:app", app_port, args.workers, env, "/healthz"))
        servers.append(serve("bench.bare_app:app", bare_port, args.workers, env, "/ping"))
        revalidated = partial(Catalogue, FIRST_PAGE, etag_of(app_port, FIRST_PAGE))
        print(
            f"gunicorn {args.workers} sync workers, PostgreSQL, {args.clients} clients, closed "
            f"loop, {args.rounds} rounds of {args.seconds:g} s alternating"
        )
        for port, source in ((bare_port, Bare), (app_port, revalidated)):  # warm-up, unmeasured
            run(port, source, "closed", 2, clients=args.clients)
        bare, not_modified = [], []
        cpu = {"bare": [0.0, 0], "app": [0.0, 0]}  # the servers' workers: CPU seconds, requests

        def measured(kind, server, port, source):
            before = cpu_seconds(server)
            outcome = run(port, source, "closed", args.seconds, clients=args.clients)
            cpu[kind][0] += cpu_seconds(server) - before
            cpu[kind][1] += len(outcome.records)
            return outcome

        for _ in range(args.rounds):
            bare.append(measured("bare", servers[1], bare_port, Bare))
            not_modified.append(measured("app", servers[0], app_port, revalidated))
        for outcome in bare:
            print(line("bare Flask JSON endpoint", outcome))
        for outcome in not_modified:
            print(line("catalogue page 1, 304", outcome))
            statuses = outcome.statuses()
            if set(statuses) != {304}:
                print(f"    not all 304: {dict(statuses)}")
        bare_cpu, app_cpu = (1000 * cpu[k][0] / max(1, cpu[k][1]) for k in ("bare", "app"))
        print(
            f"server CPU a request (its gunicorn workers): bare Flask {bare_cpu:.2f} ms, "
            f"the 304 {app_cpu:.2f} ms ({app_cpu - bare_cpu:.2f} ms more)"
        )
        full = run(app_port, partial(Catalogue, FIRST_PAGE, None), "closed", args.seconds)
        print(line("catalogue page 1, 200 (20 services)", full))
        big = run(app_port, partial(Catalogue, BIG_PAGE, None), "closed", args.seconds)
        print(line("catalogue, 200 (100 services)", big))
        baseline = statistics.median(o.rate for o in bare)
        ratio = statistics.median(o.rate for o in not_modified) / baseline
        print(
            f"revalidated catalogue page: {ratio:.2f}x bare Flask (goal >= {GOAL}x: "
            f"{'met' if ratio >= GOAL else 'NOT met'}); the full page {full.rate / baseline:.2f}x"
        )
    finally:
        for server in servers:
            stop(server)
        postgres.stop()
        print(f"end: {load_average()}")


if __name__ == "__main__":
    main()
