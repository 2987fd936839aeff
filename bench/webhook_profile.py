"""Webhook ingestion in process (issue 13): the same signed deliveries as bench/webhooks.py's
ingestion (Stripe and Thawani, each twice) POSTed through Flask's test client to the app on a
real PostgreSQL and Redis, beside the bare endpoint of bench/bare_webhook.py taking the same
bodies; microseconds per delivery for each, the statements per new event and per duplicate,
and with `--profile` the app's cProfile (top functions by cumulative and own time).

Usage: .venv/bin/python bench/webhook_profile.py [--events 400] [--profile] [--top 40]
       (--events 100: a quick look, well under a minute)
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

from bench.webhooks import (  # noqa: E402
    STRIPE_SECRET,
    THAWANI_SECRET,
    prepare_schema,
    sign,
    stripe_delivery,
    thawani_delivery,
    twice,
)
from tests.servers import start_postgres, start_redis  # noqa: E402


def post_all(client, deliveries) -> float:
    """Seconds per delivery, every answer checked."""
    began = time.perf_counter()
    for path, body, headers in deliveries:
        answer = client.post(path, data=body, headers={**headers, **sign(path, body)})
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.get_data()[:200]!r}")
    return (time.perf_counter() - began) / len(deliveries)


def deliveries_of(events: int, prefix: str):
    stripe_count = events - events // 4
    made = [stripe_delivery(f"pi_{prefix}{i:07d}", 3000) for i in range(stripe_count)]
    made += [thawani_delivery(f"checkout_{prefix}{i:07d}", 3000) for i in range(events // 4)]
    return twice(made, seed=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    from app import create_app
    from bench.bare_webhook import app as bare_app
    from tests.statements import statements

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server, redis = start_postgres(), start_redis()
    try:
        url = server.create_database("baladiya_bench_webhook_profile")
        config = {
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "THAWANI_WEBHOOK_SECRET": THAWANI_SECRET,
            "RATELIMIT_ENABLED": True,
        }
        prepare_schema(url, config)
        app = create_app({**config, "DATABASE_URL": url})
        client, bare = app.test_client(), bare_app.test_client()
        post_all(client, deliveries_of(50, "warm"))
        post_all(bare, deliveries_of(50, "warm"))

        (path, body, headers), *_ = deliveries_of(1, "count")
        with statements(app) as new:
            post_all(client, [(path, body, headers)])
        with statements(app) as duplicate:
            post_all(client, [(path, body, headers)])
        print(f"statements: new event {len(new)}, duplicate {len(duplicate)}")
        print(new.text())

        measured = deliveries_of(args.events, "run")
        bare_before = post_all(bare, measured)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        taken = post_all(client, measured)
        if profiler:
            profiler.disable()
        bare_after = post_all(bare, measured)
        baseline = (bare_before + bare_after) / 2
        print(
            f"{len(measured)} deliveries ({args.events} events, each twice), in process:"
            f" webhook {taken * 1e6:,.0f} us, bare {baseline * 1e6:,.0f} us"
            f" (before {bare_before * 1e6:,.0f}, after {bare_after * 1e6:,.0f}),"
            f" ratio {baseline / taken:.2f}"
            + ("  (profiled: the webhook's figure includes cProfile)" if profiler else "")
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    finally:
        server.stop()
        redis.stop()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
