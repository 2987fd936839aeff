"""`flask jobs worker` as production runs it: jobs in the worker's own warm process (no fork per
job), a fresh process after `WORKER_MAX_JOBS` jobs or above `WORKER_MAX_RSS_MB`, job timeouts
still enforced, SIGTERM still finishing the job under way."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq import job as rq_job
from rq.registry import FailedJobRegistry

from jobs import Job, dispatch
from tests.conftest import build_app
from tests.payments.conftest import wait_for
from tests.workers import start_worker

RECORD = "tests.jobs.tasks.record_process"


@pytest.fixture
def jobs_app(redis_server, tmp_path):
    """The worker needs Redis, not a database of its own: SQLite is enough for these jobs."""
    Redis.from_url(redis_server.url).flushall()
    return build_app(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", REDIS_URL=redis_server.url)


def _submit(app, task: str, *args, timeout: int = 300) -> None:
    with app.app_context():
        dispatch(Job(task, args, retry_intervals=(), timeout=timeout))


def _lines(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines() if line]
    return [(int(pid), born) for pid, born in rows]


def _stop(worker) -> int:
    worker.send_signal(signal.SIGTERM)
    return worker.wait(timeout=60)


def test_jobs_run_in_the_worker_process_and_it_starts_afresh_after_max_jobs(
    jobs_app, redis_server, tmp_path
):
    marker = tmp_path / "processes"
    for _ in range(5):
        _submit(jobs_app, RECORD, str(marker))
    worker = start_worker(jobs_app, redis_server.url, WORKER_MAX_JOBS=2)
    try:
        wait_for(lambda: len(_lines(marker)) == 5, timeout=90)
    finally:
        assert _stop(worker) == 0, Path(worker.log_path).read_text()[-3000:]
    lines = _lines(marker)
    # No work horse: every job ran in the worker's own process (the PID a supervisor watches).
    assert {pid for pid, _ in lines} == {worker.pid}
    # Two jobs per process image, then a fresh one: warm within, bounded across.
    images = [born for _, born in lines]
    assert images[0] == images[1] != images[2] == images[3] != images[4]
    assert len(set(images)) == 3
    assert "worker starts afresh" in Path(worker.log_path).read_text()


def test_a_worker_above_its_memory_limit_starts_afresh_after_the_job(
    jobs_app, redis_server, tmp_path
):
    marker = tmp_path / "processes"
    for _ in range(3):
        _submit(jobs_app, RECORD, str(marker))
    # Any Python process is above 1 MiB: each job is followed by a fresh process.
    worker = start_worker(jobs_app, redis_server.url, WORKER_MAX_RSS_MB=1)
    try:
        wait_for(lambda: len(_lines(marker)) == 3, timeout=90)
    finally:
        assert _stop(worker) == 0, Path(worker.log_path).read_text()[-3000:]
    lines = _lines(marker)
    assert {pid for pid, _ in lines} == {worker.pid}
    assert len({born for _, born in lines}) == 3
    assert "resident memory" in Path(worker.log_path).read_text()


def test_a_job_over_its_timeout_fails_and_the_worker_goes_on(jobs_app, redis_server, tmp_path):
    slow, after = tmp_path / "slow", tmp_path / "after"
    _submit(jobs_app, "tests.jobs.tasks.sleep_then_mark", str(slow), 30, timeout=2)
    _submit(jobs_app, RECORD, str(after))
    worker = start_worker(jobs_app, redis_server.url)
    try:
        wait_for(lambda: _lines(after), timeout=60)  # the next job ran, long before 30 s
    finally:
        assert _stop(worker) == 0, Path(worker.log_path).read_text()[-3000:]
    assert not slow.exists()  # stopped in its sleep, never finished
    assert _lines(after)[0][0] == worker.pid  # the same worker, still alive after the timeout
    connection = Redis.from_url(redis_server.url)
    (job_id,) = FailedJobRegistry(queue=Queue("default", connection=connection)).get_job_ids()
    failure = rq_job.Job.fetch(job_id, connection=connection).latest_result()
    assert "JobTimeoutException" in failure.exc_string


def test_sigterm_lets_the_job_under_way_finish_then_stops(jobs_app, redis_server, tmp_path):
    marker = tmp_path / "slow"
    _submit(jobs_app, "tests.jobs.tasks.sleep_then_mark", str(marker), 3)
    worker = start_worker(jobs_app, redis_server.url)
    try:
        wait_for(lambda: marker.with_suffix(".started").exists(), timeout=60)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert marker.read_text() == "done", Path(worker.log_path).read_text()[-3000:]
