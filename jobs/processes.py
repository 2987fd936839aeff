"""The long-running job processes, `flask jobs worker` and `flask jobs cron`, kept alive.

A worker runs its jobs in its own process (rq's `SimpleWorker`), not in a work horse forked per
job: the app, its database pool, the PDF templates, stylesheets and fonts stay warm from one job
to the next (a fork per job made every receipt a cold render, seconds instead of a tenth). What
that gives up is the fork's clean slate: memory a job leaks stays in the worker. It is bounded:
after `WORKER_MAX_JOBS` jobs, or after a job that leaves the process above `WORKER_MAX_RSS_MB`,
the worker finishes, hands its scheduler lock back and executes itself afresh (`os.execv`, the
same command line and PID, so a supervisor sees no exit). Job timeouts hold as before: rq's
death penalty is a SIGALRM in the worker's main thread, which raises `JobTimeoutException` in
the job; the job fails (its transaction rolled back) and the worker goes on with the next.

rq's worker and cron scheduler quit on a Redis connection error ("found an unhandled exception,
quitting"); here each runs in a loop that starts it again after a pause that doubles up to
`MAX_PAUSE` (and starts over after a run that lasted), so a Redis restart costs a pause, not the
process. SIGTERM or SIGINT stops the loop as it stops rq (a job under way finishes first).

rq's scheduler (which moves retries and scheduled jobs onto the queues when they fall due) runs
beside one worker, under a lock in Redis that its holder refreshes every second for 61 seconds.
A worker that finds it held checks again only at its maintenance, every 10 minutes by default,
so after a worker was killed the next took the lock up to 10 minutes late. Here a worker checks
every `MAINTENANCE_INTERVAL` seconds, and a lock its holder has not refreshed for
`SCHEDULER_STALE` seconds (its process is gone) is released so that a live worker takes it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

log = logging.getLogger("jobs")

MAX_PAUSE = 30.0  # seconds, the longest pause between two starts
STEADY = 60.0  # a run this long was healthy: the next pause starts small again
MAINTENANCE_INTERVAL = 5  # seconds between a worker's maintenance (rq's default: 600)
WORKER_TTL = 20  # rq blocks on the queues for WORKER_TTL - 15 seconds between maintenances
SCHEDULER_LOCK_TTL = 61  # rq sets it to the scheduler's interval (1 s) + 60 at every heartbeat
SCHEDULER_STALE = 15  # seconds without a heartbeat after which the lock's holder is dead


def release_stale_scheduler_locks(connection: Redis, queue_names) -> list[str]:
    """Release the scheduler lock of each queue whose holder stopped refreshing it (its TTL, on
    Redis's own clock, is more than `SCHEDULER_STALE` seconds below a fresh one). The queues."""
    released = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        holder, remaining = connection.get(key), connection.ttl(key)
        if holder is None or remaining < 0 or remaining > SCHEDULER_LOCK_TTL - SCHEDULER_STALE:
            continue
        if release_lock(connection, key, holder.decode()):
            released.append(name)
    if released:
        log.warning("released the scheduler lock of a dead worker", extra={"queues": released})
    return released


def resident_bytes() -> int:
    """This process's resident memory (Linux `/proc/self/statm`); 0 where it cannot be read."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class ResilientWorker(SimpleWorker):
    """rq's worker that runs each job in its own warm process, asks to be recycled after
    `max_jobs` jobs or above `max_rss` bytes, and takes over the scheduler lock of a dead worker
    within seconds."""

    def __init__(self, *args, max_jobs: int = 0, max_rss: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_jobs = max_jobs
        self.max_rss = max_rss
        self.jobs_run = 0
        self.recycle_reason: str | None = None

    def execute_job(self, job, queue):
        super().execute_job(job, queue)
        self.jobs_run += 1
        rss = resident_bytes()
        if self.max_jobs and self.jobs_run >= self.max_jobs:
            self.recycle_reason = f"ran {self.jobs_run} jobs"
        elif self.max_rss and rss > self.max_rss:
            self.recycle_reason = f"resident memory {rss // 2**20} MiB after a job"
        if self.recycle_reason:
            self._stop_requested = True  # rq's loop stops before taking the next job

    def _start_scheduler(self, *args, **kwargs):
        release_stale_scheduler_locks(self.connection, self.queue_names())
        super()._start_scheduler(*args, **kwargs)

    def run_maintenance_tasks(self):
        scheduler = self.scheduler
        if scheduler and not (scheduler._process and scheduler._process.is_alive()):
            release_stale_scheduler_locks(self.connection, self.queue_names())
        super().run_maintenance_tasks()


class _Backoff:
    def __init__(self) -> None:
        self.pause = 1.0
        self.stop_requested = False

    def request_stop(self, signum, frame) -> None:
        self.stop_requested = True

    def wait(self, ran_for: float) -> bool:
        """Pause before the next start; False when a signal asked to stop meanwhile."""
        if ran_for >= STEADY:
            self.pause = 1.0
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        deadline = time.monotonic() + self.pause
        self.pause = min(self.pause * 2, MAX_PAUSE)
        try:
            while not self.stop_requested and time.monotonic() < deadline:
                time.sleep(0.1)
        except StopRequested:  # a handler of rq's still installed
            return False
        return not self.stop_requested


def restart_process() -> None:
    """Replace this process by a fresh run of the same command line (the PID stays)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606 - our own argv


def _limits() -> tuple[int, int]:
    from flask import current_app, has_app_context

    if not has_app_context():
        return 0, 0
    config = current_app.config
    return config.get("WORKER_MAX_JOBS", 0), config.get("WORKER_MAX_RSS_MB", 0) * 2**20


def run_worker(connection: Redis, queues: list[str], burst: bool = False) -> None:
    """Run rq workers on `queues` (with the scheduler) one after another until a signal stops
    one, or, with `burst`, until one found the queues empty; a worker past its job or memory
    limit is followed by a fresh process (`restart_process`)."""
    max_jobs, max_rss = _limits()
    backoff = _Backoff()
    while True:
        started = time.monotonic()
        worker = None
        try:
            # Inside the try: rq's Worker() itself talks to Redis (it names its connection), and
            # a worker started again while Redis is still down must wait, not die.
            worker = ResilientWorker(
                queues,
                connection=connection,
                worker_ttl=WORKER_TTL,
                maintenance_interval=MAINTENANCE_INTERVAL,
                max_jobs=max_jobs,
                max_rss=max_rss,
            )
            worker.work(burst=burst, with_scheduler=True)
            crashed = False
        except RedisError:  # raised by rq's start-up or teardown, outside its own loop
            crashed = True
        except StopRequested:
            # SIGTERM/SIGINT during rq's teardown (a worker past its limit stopping its
            # scheduler before the fresh process): rq raises it outside its loop; it is a stop.
            return
        if worker is not None and worker._shutdown_requested_date is not None:  # SIGTERM/SIGINT
            return
        if worker is not None and worker.recycle_reason and not crashed:
            log.info("worker starts afresh", extra={"reason": worker.recycle_reason})
            restart_process()
        if burst and not crashed:
            return
        log.error("worker stopped on an error (Redis unreachable?); starting again")
        if not backoff.wait(time.monotonic() - started):
            return


def run_cron(scheduler) -> None:
    """Run rq's cron scheduler, starting it again after a Redis error, until a signal stops it.
    The same scheduler object goes on, so a job due while Redis was down is enqueued once back."""
    backoff = _Backoff()
    while True:
        started = time.monotonic()
        try:
            scheduler.start()
            return  # stopped by SIGTERM or SIGINT
        except RedisError:
            if getattr(scheduler, "stop_requested", False):
                return
            log.error("cron scheduler stopped on a Redis error; starting again", exc_info=True)
        if not backoff.wait(time.monotonic() - started):
            return
