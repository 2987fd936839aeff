"""Jobs run after commit, never after rollback: in-process, and in a real rq worker with Redis."""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from app.accounts.models import AuthSession
from app.extensions import db
from app.timeutil import MUSCAT, utcnow
from jobs import BACKOFF, enqueue
from jobs.schedule import PERIODIC, InProcessCron, build_rq_cron, next_run
from tests.conftest import build_app, clear_tables
from tests.factories import register
from tests.workers import run_burst_worker

ROOT = Path(__file__).resolve().parents[2]
PURGE = "app.accounts.jobs.purge_expired_sessions"


def _old_session(user_id: int) -> uuid.UUID:
    long_ago = utcnow() - timedelta(days=40)
    session = AuthSession(
        user_id=user_id,
        refresh_token_hash=uuid.uuid4().hex,
        created_at=long_ago,
        refreshed_at=long_ago,
        expires_at=long_ago + timedelta(days=30),
    )
    db.session.add(session)
    db.session.flush()
    return session.id


def _sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession))


def test_in_process_job_runs_after_commit(app, client):
    user = register(client)
    with app.app_context():
        _old_session(user["id"])
        enqueue(PURGE, queue="low")
        assert _sessions() == 1
        db.session.commit()
        assert app.extensions["jobs"].drain(10)
        db.session.remove()
        assert _sessions() == 0


def test_in_process_job_is_dropped_on_rollback(app, client):
    user = register(client)
    with app.app_context():
        _old_session(user["id"])
        db.session.commit()
        enqueue(PURGE, queue="low")
        db.session.rollback()
        db.session.commit()  # a later commit must not carry the dropped job
        assert app.extensions["jobs"].drain(10)
        assert _sessions() == 1


@pytest.fixture
def redis_app(database_url, redis_server):
    app = build_app(database_url, REDIS_URL=redis_server.url)
    Redis.from_url(redis_server.url).flushall()
    yield app
    clear_tables(app)


def test_job_goes_to_redis_after_commit_and_a_real_worker_runs_it(redis_app, redis_server):
    client = redis_app.test_client()
    user = register(client)
    queue = Queue("low", connection=Redis.from_url(redis_server.url))
    with redis_app.app_context():
        _old_session(user["id"])
        enqueue(PURGE, queue="low")
        assert queue.count == 0  # not before commit
        db.session.commit()
        assert queue.count == 1
        job = queue.jobs[0]
        assert job.retries_left == len(BACKOFF) and job.retry_intervals == list(BACKOFF)

        run_burst_worker(redis_app, redis_server.url)
        assert queue.count == 0
        db.session.remove()
        assert _sessions() == 0


def test_rolled_back_job_never_reaches_redis(redis_app, redis_server):
    queue = Queue("low", connection=Redis.from_url(redis_server.url))
    with redis_app.app_context():
        enqueue(PURGE, queue="low")
        db.session.rollback()
        db.session.commit()
        assert queue.count == 0


def test_periodic_jobs_are_in_utc_and_registered_with_rq_cron(redis_server):
    purge = next(p for p in PERIODIC if p.task == PURGE)
    at = next_run(purge, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert at.astimezone(MUSCAT).hour == 2 and at.astimezone(MUSCAT).day == 2
    scheduler = build_rq_cron(Redis.from_url(redis_server.url))
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {p.task for p in PERIODIC}
    assert jobs[PURGE].next_enqueue_time.hour == 22


def test_rq_cron_itself_runs_the_periodic_jobs_from_our_config(redis_server):
    """`rq cron jobs/cron_config.py`, rq's own command, registers every periodic job."""
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/rq"), "cron", "jobs/cron_config.py", "-u", redis_server.url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "cron jobs from" in line or not line:
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert any(f"registered {len(PERIODIC)} cron jobs" in line for line in lines), lines


@pytest.mark.committed  # the job runs on its thread while the test holds a transaction open
def test_without_redis_the_serve_process_submits_periodic_jobs_when_due(app):
    purge = next(p for p in PERIODIC if p.task == PURGE)  # 22:00 UTC, 02:00 in Muscat
    cron = InProcessCron(app, entries=(purge,))
    client = app.test_client()
    user = register(client)
    with app.app_context():
        _old_session(user["id"])
        db.session.commit()
        assert cron.tick(datetime(2026, 12, 1, 21, 0, tzinfo=UTC)) == []  # schedules only
        assert cron.tick(datetime(2026, 12, 1, 21, 59, tzinfo=UTC)) == []
        assert _sessions() == 1
        assert cron.tick(datetime(2026, 12, 1, 22, 0, tzinfo=UTC)) == [PURGE]
        assert app.extensions["jobs"].drain(10)
        db.session.remove()
        assert _sessions() == 0
        assert cron.tick(datetime(2026, 12, 1, 22, 1, tzinfo=UTC)) == []  # next: tomorrow


def test_in_process_job_is_retried_with_back_off_then_given_up(app, tmp_path):
    with app.app_context():
        marker = tmp_path / "tries"
        enqueue("tests.jobs.tasks.flaky", str(marker), 2, retry_intervals=(0.05, 0.1))
        db.session.commit()
        assert app.extensions["jobs"].drain(10)
        assert marker.read_text() == "3"  # two failures, then success on the last retry

        given_up = tmp_path / "given-up"
        enqueue("tests.jobs.tasks.flaky", str(given_up), 5, retry_intervals=(0.05,))
        db.session.commit()
        assert app.extensions["jobs"].drain(10)
        assert given_up.read_text() == "2"  # one try and one retry, then no more
