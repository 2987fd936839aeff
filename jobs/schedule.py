"""Periodic jobs: one table, run by rq's cron scheduler (`flask jobs cron`) or, without
Redis, by a thread of the `flask serve` process.

Cron strings are in UTC (Oman is UTC+4, no daylight saving): "0 22 * * *" is 02:00 in Muscat.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import croniter

log = logging.getLogger("jobs")


@dataclass(frozen=True)
class Periodic:
    task: str
    cron: str  # UTC
    queue: str = "low"


PERIODIC: tuple[Periodic, ...] = (
    # 02:00 Asia/Muscat: forget sessions that expired or were revoked.
    Periodic("app.accounts.jobs.purge_expired_sessions", "0 22 * * *"),
    # Every minute: notifications still queued (Redis was down, a retry fell due, a sender died).
    Periodic("app.notifications.delivery.relay_notifications", "* * * * *", queue="high"),
    # 06:00 Asia/Muscat: renewal reminders 30 and 7 days before expiry; 00:05: expire licences.
    Periodic("licensing.register.send_renewal_reminders", "0 2 * * *"),
    Periodic("licensing.register.expire_licences", "5 20 * * *"),
    # Every 10 minutes: compare open and recent payments with Stripe; 01:00 Muscat: unpaid expiry.
    Periodic("payments.reconciliation.reconcile_payments", "*/10 * * * *"),
    Periodic("payments.reconciliation.expire_unpaid_applications", "0 21 * * *"),
    Periodic("refunds.services.reconcile_refunds", "*/10 * * * *"),
    # 07:00 Asia/Muscat: escalate applications idle past their service's threshold.
    Periodic("licensing.escalation.escalate_idle_applications", "0 3 * * *"),
)


def next_run(entry: Periodic, after: datetime) -> datetime:
    return croniter(entry.cron, after.astimezone(UTC)).get_next(datetime)


def build_rq_cron(connection):
    """rq's CronScheduler with every periodic job registered.

    rq matches cron strings against the process's local time (rq 3) or UTC (rq 2); the
    process is put in UTC so that both read our UTC strings alike.
    """
    from rq.cron import CronScheduler

    from jobs.runner import run_task

    os.environ["TZ"] = "UTC"
    time.tzset()
    scheduler = CronScheduler(connection=connection)
    for entry in PERIODIC:
        scheduler.register(
            run_task, entry.queue, args=(entry.task,), cron=entry.cron, name=entry.task
        )
    return scheduler


def run_rq_cron(connection) -> None:
    """Run the periodic jobs through rq's cron scheduler; blocks until stopped."""
    build_rq_cron(connection).start()


class InProcessCron(threading.Thread):
    """Without Redis: submit each periodic job to the in-process backend when it falls due."""

    def __init__(self, app) -> None:
        super().__init__(name="jobs-cron", daemon=True)
        self.app = app
        self.stopped = threading.Event()

    def run(self) -> None:
        from jobs import Job

        now = datetime.now(UTC)
        due = {entry: next_run(entry, now) for entry in PERIODIC}
        while not self.stopped.is_set():
            now = datetime.now(UTC)
            for entry, at in due.items():
                if at <= now:
                    self.app.extensions["jobs"].submit(Job(entry.task, queue=entry.queue))
                    due[entry] = next_run(entry, now)
            wait = min((at - now).total_seconds() for at in due.values()) if due else 60
            self.stopped.wait(max(1.0, min(wait, 60.0)))
