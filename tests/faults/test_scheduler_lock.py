"""A worker killed with SIGKILL leaves rq's scheduler lock behind; the next worker takes it
within seconds (not at its 10-minute maintenance), so a retry due in 2 s runs soon after.

The deadline is the moment the dead worker's lock would have expired by itself (its TTL when the
worker died): a retry run before then shows the lock was taken over, not merely left to lapse.
On a loaded machine a worker takes seconds to start, so no tighter figure is asserted."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from redis import Redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from app.extensions import db
from jobs import enqueue
from tests.conftest import build_app
from tests.payments.conftest import wait_for
from tests.workers import children, start_worker


def _tries(path: Path) -> int:
    return int(path.read_text()) if path.exists() else 0


def _scheduler_running(connection: Redis, lock: str) -> bool:
    holder = connection.get(lock)
    return bool(holder) and bool(connection.exists(SCHEDULER_KEY_TEMPLATE % holder.decode()))


def test_after_a_worker_is_killed_the_next_takes_the_scheduler_and_retries_run(
    fault_redis, tmp_path
):
    app = build_app(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", REDIS_URL=fault_redis.url)
    connection = Redis.from_url(fault_redis.url)
    lock = RQScheduler.get_locking_key("default")
    first = start_worker(app, fault_redis.url)
    try:
        # The worker takes the lock before it forks its scheduler process: wait for the process
        # itself (it registers under its name), or it may be forked after the kill below and
        # live on as an orphan that keeps the old lock.
        wait_for(lambda: _scheduler_running(connection, lock), timeout=90)  # a loaded machine
    finally:
        for pid in (*children(first.pid), first.pid):  # the worker and its scheduler process
            os.kill(pid, signal.SIGKILL)
        first.wait(timeout=10)
    killed = time.monotonic()
    held_by_the_dead, ttl = connection.get(lock), connection.ttl(lock)
    assert held_by_the_dead and ttl > 30  # rq leaves it for a minute
    lapses = killed + ttl - 1

    marker = tmp_path / "tries"
    second = start_worker(app, fault_redis.url)
    try:
        with app.app_context():
            enqueue("tests.jobs.tasks.flaky", str(marker), 1, retry_intervals=(2,))
            db.session.commit()
        # the retry, moved on by the second worker's scheduler before the old lock would lapse
        wait_for(lambda: _tries(marker) == 2, timeout=max(lapses - time.monotonic(), 1))
        assert connection.get(lock) not in (None, held_by_the_dead)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert time.monotonic() < lapses, Path(second.log_path).read_text()[-3000:]
