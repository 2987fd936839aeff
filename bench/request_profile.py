"""Per-request overhead in process: the catalogue's revalidated page (If-None-Match, 304) called
straight through the WSGI interface, beside bare Flask's JSON endpoint called the same way, in the
same run; then cProfile over the 304s. No HTTP server and no test client, so what is timed is the
app's own work per request (gunicorn and the socket add the same to both in bench/catalogue.py).

Usage: .venv/bin/python bench/request_profile.py [--requests 5000] [--top 35] [--sort tottime]
       [--redis]   (the limiter's storage in Redis, as in production)
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import cProfile
import io
import os
import pstats
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

from tests.servers import start_postgres, start_redis  # noqa: E402

PATH = "/api/v1/services?page=1"


def environ(path: str, headers: dict[str, str]) -> dict:
    return EnvironBuilder(path=path, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})


def call(app, builder: EnvironBuilder) -> str:
    status = []
    body = app(builder.get_environ(), lambda s, h, exc=None: status.append(s))
    for _chunk in body:
        pass
    getattr(body, "close", lambda: None)()
    return status[0]


def per_request_ms(app, builder: EnvironBuilder, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call(app, builder)
    return (time.perf_counter() - started) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--redis", action="store_true")
    parser.add_argument(
        "--callers", default="", help="also print who calls functions matching this"
    )
    args = parser.parse_args()
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    from bench.bare_app import app as bare
    from bench.catalogue import prepare

    postgres = start_postgres()
    redis = start_redis() if args.redis else None
    try:
        url = postgres.create_database("baladiya_request_profile")
        prepare(url)
        from app import create_app

        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": redis.url if redis else "",
                "LOG_LEVEL": "WARNING",
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            }
        )
        first = environ(PATH, {})
        captured = {}

        def keep(status, headers, exc=None):
            captured.update(headers)

        for _ in app(first.get_environ(), keep):
            pass
        revalidate = environ(PATH, {"If-None-Match": captured["ETag"]})
        ping = environ("/ping", {})
        assert call(app, revalidate).startswith("304"), "not a 304"
        for _ in range(200):  # warm both
            call(app, revalidate)
            call(bare, ping)
        rounds = [
            (
                per_request_ms(bare, ping, args.requests),
                per_request_ms(app, revalidate, args.requests),
            )
            for _ in range(3)
        ]
        for bare_ms, app_ms in rounds:
            print(
                f"bare Flask {bare_ms:.3f} ms, catalogue 304 {app_ms:.3f} ms a request: "
                f"{app_ms - bare_ms:.3f} ms over bare, bare/app {bare_ms / app_ms:.2f}x"
            )
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            call(app, revalidate)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        print(out.getvalue())
    finally:
        if redis:
            redis.stop()
        postgres.stop()
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
