"""The Redis backend hands every job of one commit to Redis in one round trip, each on its
queue with its id, retry policy and time limit, as rq would enqueue it alone."""

from __future__ import annotations

import uuid

from redis import Redis
from redis.client import Pipeline
from rq import Queue
from rq.job import Job as RqJob

from jobs import Job
from jobs.backends import RedisBackend

TASK = "tests.jobs.tasks.flaky"


def test_the_jobs_of_one_commit_reach_redis_in_one_round_trip(redis_server, monkeypatch):
    connection = Redis.from_url(redis_server.url)
    connection.flushall()
    backend = RedisBackend(redis_server.url)
    backend.connection.ping()  # the connection made, and rq's server version asked, beforehand
    backend.submit(Job(TASK, ("warm", 0), "low", f"warm-{uuid.uuid4().hex}"))
    connection.flushall()
    trips: list[str] = []
    execute, command = Pipeline.execute, Redis.execute_command
    monkeypatch.setattr(
        Pipeline, "execute", lambda self, *a, **k: (trips.append("pipeline"), execute(self))[1]
    )
    monkeypatch.setattr(
        Redis,
        "execute_command",
        lambda self, *a, **k: (trips.append(str(a[0])), command(self, *a, **k))[1],
    )
    jobs = [
        Job(TASK, ("/tmp/a", 0), "high", "job-a", (10, 40)),
        Job(TASK, ("/tmp/b", 1), "default", "job-b", ()),
        Job(TASK, ("/tmp/c", 2), "low", None, (5,), timeout=60),
    ]
    backend.submit_all(jobs)
    assert trips == ["pipeline"]
    monkeypatch.undo()
    assert Queue("high", connection=connection).job_ids == ["job-a"]
    assert Queue("default", connection=connection).job_ids == ["job-b"]
    [low] = Queue("low", connection=connection).job_ids
    first = RqJob.fetch("job-a", connection=connection)
    assert first.args == (TASK, "/tmp/a", 0) and first.retries_left == 2
    assert first.retry_intervals == [10, 40]
    assert RqJob.fetch("job-b", connection=connection).retries_left is None
    last = RqJob.fetch(low, connection=connection)
    assert last.timeout == 60 and last.args == (TASK, "/tmp/c", 2)
