"""Which jobs are still on their way: the relays (`payments.relay`, `app.events`) hand out a new job
only for work whose job is lost, not for work merely waiting behind a backlog.

A relay that re-enqueued every unprocessed row past its grace period made, under a backlog, up to
500 no-op jobs a minute for rows whose own job was still queued (each found the work done and
still cost the worker a run). rq keeps a job's status in its hash (`rq:job:<id>`): queued,
scheduled (waiting for a retry), deferred and started are on their way; finished, failed,
stopped, canceled, or no hash at all (Redis lost it, or the enqueue failed while Redis was down)
mean the job will not run again. A worker killed mid-job leaves its job `started` until rq's
maintenance finds it abandoned and marks it failed (within the job's timeout): it is relayed then.

The in-process backend keeps no ids: every job is treated as lost, as before (a crash of its
process loses its queue anyway, and its relay runs in the same process).
"""

from __future__ import annotations

from collections.abc import Iterable

from rq.job import Job as RqJob
from rq.job import JobStatus

ON_THEIR_WAY = frozenset(
    s.value for s in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED)
)


def on_their_way(job_ids: Iterable[str]) -> set[str]:
    """The ids among `job_ids` whose job the backend will still run (one Redis round trip)."""
    from jobs import backend
    from jobs.backends import RedisBackend

    ids = list(job_ids)
    jobs = backend()
    if not ids or not isinstance(jobs, RedisBackend):
        return set()
    pipeline = jobs.connection.pipeline(transaction=False)
    for job_id in ids:
        pipeline.hget(RqJob.key_for(job_id), "status")
    statuses = pipeline.execute()
    return {
        job_id
        for job_id, status in zip(ids, statuses, strict=True)
        if status is not None and status.decode() in ON_THEIR_WAY
    }
