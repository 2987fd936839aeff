"""Where jobs run: rq queues in Redis, or a worker thread of this process."""

from __future__ import annotations

import logging
import queue
import threading
import time

from redis import Redis
from rq import Queue, Retry

from jobs import Job

log = logging.getLogger("jobs")


class RedisBackend:
    """Jobs go to rq queues; `flask jobs worker` processes run them."""

    def __init__(self, url: str) -> None:
        self.connection = Redis.from_url(url)

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.connection)

    def submit(self, job: Job) -> None:
        self.submit_all([job])

    def submit_all(self, jobs: list[Job]) -> None:
        """Enqueue `jobs` in one round trip to Redis, all or none (a MULTI/EXEC pipeline): rq
        alone sends two a job (the queue's registration, then the job)."""
        with self.connection.pipeline() as pipe:
            for job in jobs:
                self._enqueue(job, pipe)
            pipe.execute()
        for job in jobs:
            log.info("job enqueued", extra={"task": job.task, "queue": job.queue})

    def _enqueue(self, job: Job, pipeline) -> None:
        retry = (
            Retry(max=len(job.retry_intervals), interval=list(job.retry_intervals))
            if job.retry_intervals
            else None
        )
        self.queue(job.queue).enqueue(
            "jobs.runner.run_task",
            job.task,
            *job.args,
            job_id=job.job_id,
            retry=retry,
            job_timeout=job.timeout,
            failure_ttl=30 * 24 * 3600,
            pipeline=pipeline,
        )


class InProcessBackend:
    """Jobs run one at a time on a daemon thread of this process, with the same retry policy.

    For `make run` and small installations without Redis; a crash of the process loses jobs
    not yet run, which is why the outbox relay (notifications) re-reads its own table.
    """

    def __init__(self, app) -> None:
        self.app = app
        self._queue: queue.Queue[tuple[Job, int]] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit_all(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.submit(job)

    def submit(self, job: Job, attempt: int = 0) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put((job, attempt))
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="jobs-inprocess", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        from jobs.runner import execute

        while True:
            job, attempt = self._queue.get()
            retrying = False
            try:
                with self.app.app_context():
                    execute(job.task, *job.args)
            except Exception:  # noqa: BLE001 - a failing job must not stop the thread
                if attempt < len(job.retry_intervals):
                    retrying = True  # still pending: drain() keeps waiting for it
                    delay = job.retry_intervals[attempt]
                    log.warning(
                        "job failed; retrying",
                        exc_info=True,
                        extra={"task": job.task, "attempt": attempt + 1, "delay": delay},
                    )
                    timer = threading.Timer(delay, self._queue.put, args=((job, attempt + 1),))
                    timer.daemon = True
                    timer.start()
                else:
                    log.exception(
                        "job failed for good", extra={"task": job.task, "attempts": attempt + 1}
                    )
            finally:
                if not retrying:
                    self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until no job is queued, running or waiting for a retry; True if so."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True
