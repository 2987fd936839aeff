"""A worker killed with SIGKILL leaves rq's scheduler lock behind; the next worker takes it
within seconds (not at its 10-minute maintenance), so a retry due in 2 s runs soon after."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from redis import Redis
from rq.scheduler import RQScheduler

from app.extensions import db
from jobs import enqueue
from tests.conftest import build_app
from tests.payments.conftest import wait_for
from tests.workers import children, start_worker


def _tries(path: Path) -> int:
    return int(path.read_text()) if path.exists() else 0


def test_after_a_worker_is_killed_the_next_takes_the_scheduler_and_retries_run(
    fault_redis, tmp_path
):
    app = build_app(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", REDIS_URL=fault_redis.url)
    connection = Redis.from_url(fault_redis.url)
    lock = RQScheduler.get_locking_key("default")
    first = start_worker(app, fault_redis.url)
    try:
        wait_for(lambda: connection.get(lock), timeout=30)
    finally:
        for pid in (*children(first.pid), first.pid):  # the worker and its scheduler process
            os.kill(pid, signal.SIGKILL)
        first.wait(timeout=10)
    held_by_the_dead = connection.get(lock)
    assert held_by_the_dead and connection.ttl(lock) > 30  # rq leaves it for a minute

    marker = tmp_path / "tries"
    second = start_worker(app, fault_redis.url)
    started = time.monotonic()
    try:
        with app.app_context():
            enqueue("tests.jobs.tasks.flaky", str(marker), 1, retry_intervals=(2,))
            db.session.commit()
        wait_for(lambda: _tries(marker) == 2, timeout=45)  # the retry, moved on by a scheduler
        assert connection.get(lock) not in (None, held_by_the_dead)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert time.monotonic() - started < 40, Path(second.log_path).read_text()[-3000:]
