"""Background jobs: rq when `REDIS_URL` is set, a thread in this process when it is not.

Jobs are named by the dotted path of a function that takes ids, never objects. `enqueue()` holds
a job until the database transaction that asked for it commits; a rollback drops it.
`enqueue_batched()` adds an id to the one job of its task that the transaction sends (a
transaction's notices are one delivery job, not one each: every job costs a worker a fork).
Each queue has a retry policy with exponential back-off; after the last retry the job is failed
and logged (rq keeps it in its failed registry).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import current_app
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.uow import PENDING_JOBS

log = logging.getLogger("jobs")

QUEUES = ("high", "default", "low")
# Seconds before each retry: 10 s, 40 s, 2 min 40 s, ~11 min, ~43 min.
BACKOFF = (10, 40, 160, 640, 2560)
# Inside `gathered()`: the jobs of the transactions committed so far, not yet handed out.
_gathering: ContextVar[list | None] = ContextVar("jobs_gathering", default=None)


@dataclass(frozen=True)
class Job:
    task: str  # dotted path of a function that takes ids
    args: tuple = ()
    queue: str = "default"
    job_id: str | None = None  # deterministic where a duplicate would hurt
    retry_intervals: tuple[int, ...] = field(default=BACKOFF)
    timeout: int = 300


def enqueue(
    task: str,
    *args,
    queue: str = "default",
    job_id: str | None = None,
    retry_intervals: tuple[int, ...] = BACKOFF,
    session: Session | None = None,
) -> Job:
    """Run `task(*args)` once the current transaction commits; nothing if it rolls back."""
    from app.extensions import db

    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    job = Job(task, tuple(args), queue, job_id, tuple(retry_intervals))
    session = session or db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before the next commit drops the job
    session.info.setdefault(PENDING_JOBS, []).append((current_app._get_current_object(), job))
    return job


@dataclass(frozen=True)
class _Batch:
    """The one job of `task` a transaction sends: `task(items)` with every item added to it."""

    task: str
    queue: str
    retry_intervals: tuple[int, ...]
    items: list = field(default_factory=list)

    def job(self) -> Job:
        return Job(self.task, (list(self.items),), self.queue, None, self.retry_intervals)


def enqueue_batched(
    task: str,
    item,
    *,
    queue: str = "default",
    retry_intervals: tuple[int, ...] = BACKOFF,
    session: Session | None = None,
) -> None:
    """Add `item` to the one job of `task` (on `queue`) that the current transaction sends once it
    commits: `task([item, ...])`, the items in the order they were added; nothing if it rolls
    back. The job is sent where the first item asked for it, among the transaction's jobs."""
    from app.extensions import db

    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    session = session or db.session()
    if not session.in_transaction():
        session.begin()
    batches = session.info.setdefault("pending_batches", {})
    batch = batches.get((task, queue))
    if batch is None:
        batch = batches[task, queue] = _Batch(task, queue, tuple(retry_intervals))
        session.info.setdefault(PENDING_JOBS, []).append((current_app._get_current_object(), batch))
    batch.items.append(item)


def dispatch(job: Job) -> None:
    """Hand a job to the backend now, outside any transaction (cron, relays, tests)."""
    backend().submit(job)


def backend():
    return current_app.extensions["jobs"]


def redis_connection() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


@contextmanager
def gathered() -> Iterator[None]:
    """For a block of several transactions (one job's units of work): the jobs each commit sends
    are handed out together at the end of the block, in order, with the batches of one task and
    queue made one (`enqueue_batched` across the transactions); what a rollback dropped stays
    dropped. A process that dies inside the block loses the committed work's jobs: only work
    that a relay finds again (the outbox's rows, events) may be gathered."""
    if _gathering.get() is not None:
        yield  # an outer block hands them out
        return
    token = _gathering.set([])
    try:
        yield
    finally:
        pending = _gathering.get()
        _gathering.reset(token)
        _submit(_merged(pending))


def _merged(pending: list) -> list:
    merged, batches = [], {}
    for app, job in pending:
        if isinstance(job, _Batch):
            key = (app, job.task, job.queue)
            if key in batches:
                batches[key].items.extend(job.items)
                continue
            job = batches[key] = _Batch(job.task, job.queue, job.retry_intervals, list(job.items))
        merged.append((app, job))
    return merged


def _after_commit(session: Session) -> None:
    session.info.pop("pending_batches", None)
    pending = session.info.pop(PENDING_JOBS, [])
    gathering = _gathering.get()
    if gathering is not None:
        gathering.extend(pending)
    else:
        _submit(pending)


def _submit(pending: list) -> None:
    """Hand the jobs to their apps' backends, in order: each app's run of jobs at once (one
    round trip to Redis for all the jobs a commit sends, or that a `gathered()` block holds)."""
    for app, run in itertools.groupby(pending, key=lambda item: item[0]):
        jobs = [job.job() if isinstance(job, _Batch) else job for _app, job in run]
        with app.app_context():
            try:
                app.extensions["jobs"].submit_all(jobs)
            except Exception:  # noqa: BLE001 - committed work must not fail the request
                for job in jobs:  # none of them was queued (the backend's all or none)
                    log.exception(
                        "could not enqueue job", extra={"task": job.task, "job_id": job.job_id}
                    )


def _after_rollback(session: Session, previous_transaction) -> None:
    # A rollback of the session's transaction (not of a savepoint) drops its jobs.
    if not previous_transaction.nested:
        session.info.pop(PENDING_JOBS, None)
        session.info.pop("pending_batches", None)


def init_jobs(app) -> None:
    """Pick the backend by configuration and hook job dispatch to commits."""
    from jobs.backends import InProcessBackend, RedisBackend

    if app.config["REDIS_URL"]:
        app.extensions["jobs"] = RedisBackend(app.config["REDIS_URL"])
    else:
        app.extensions["jobs"] = InProcessBackend(app)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
