"""Periodic jobs: one table, run by rq's cron scheduler (`rq cron jobs/cron_config.py`, or
`flask jobs cron`) or, without Redis, by a thread of the `flask serve` process.

Cron strings are in UTC (Oman is UTC+4, no daylight saving): "0 22 * * *" is 02:00 in Muscat.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
    # Every minute: recorded gateway events whose processing job was lost (Redis was down).
    Periodic("payments.relay.relay_gateway_events", "* * * * *", queue="high"),
    # Every minute: domain events whose delivery job was lost, handed to a new one.
    Periodic("app.events.relay_undelivered", "* * * * *", queue="high"),
    # 06:00 Asia/Muscat: renewal reminders 30 and 7 days before expiry; 00:05: expire licences.
    Periodic("licensing.register.send_renewal_reminders", "0 2 * * *"),
    Periodic("licensing.register.expire_licences", "5 20 * * *"),
    # Every 10 minutes: compare open and recent payments with their gateway. (Unpaid expiry is
    # licensing's sweep; payments expires the payments on its `application.payment_overdue`.)
    Periodic("payments.reconciliation.reconcile_payments", "*/10 * * * *"),
    Periodic("licensing.expiry.report_overdue_applications", "0 21 * * *"),
    Periodic("refunds.tasks.reconcile_refunds", "*/10 * * * *"),
    # Every 15 minutes (so within minutes of midnight in Muscat): the staff queue's SLA bands of
    # the applications whose band the turning day moved.
    Periodic("licensing.queue_bands.refresh_all_queue_bands", "*/15 * * * *"),
    # 03:00 Asia/Muscat: verify the audit log's hash chains (an error log names a break).
    Periodic("app.audit.jobs.verify_audit_log", "0 23 * * *"),
    # Every 15 minutes: the escalation ladder (app/escalation): applications, refunds, cases and
    # unanswered messages at risk, idle past their thresholds or breached (replaces the two
    # daily sweeps of idle applications and idle cases).
    Periodic("app.escalation.sweep.escalate", "*/15 * * * *"),
)


def next_run(entry: Periodic, after: datetime) -> datetime:
    return croniter(entry.cron, after.astimezone(UTC)).get_next(datetime)


CRON_CONFIG = Path(__file__).with_name("cron_config.py")


def build_rq_cron(connection):
    """rq's CronScheduler with every periodic job registered, from the same configuration file
    that `rq cron jobs/cron_config.py` reads (which also puts the process in UTC)."""
    from rq.cron import CronScheduler

    class Scheduler(CronScheduler):
        stop_requested = False

        def _request_stop(self, signum, frame):
            # Remembered, so a Redis error while stopping is not taken for a crash.
            self.stop_requested = True
            super()._request_stop(signum, frame)

    scheduler = Scheduler(connection=connection)
    scheduler.load_config_from_file(str(CRON_CONFIG))
    return scheduler


def run_rq_cron(connection) -> None:
    """Run the periodic jobs through rq's cron scheduler, through Redis outages; blocks until
    stopped by a signal."""
    from jobs.processes import run_cron

    run_cron(build_rq_cron(connection))


class InProcessCron(threading.Thread):
    """Without Redis: submit each periodic job to the in-process backend when it falls due."""

    def __init__(self, app, entries: tuple[Periodic, ...] = PERIODIC) -> None:
        super().__init__(name="jobs-cron", daemon=True)
        self.app = app
        self.entries = entries
        self.due: dict[Periodic, datetime] | None = None
        self.stopped = threading.Event()

    def tick(self, now: datetime) -> list[str]:
        """Submit every job due at `now` (the first tick only schedules); the tasks submitted."""
        from jobs import Job

        if self.due is None:
            self.due = {entry: next_run(entry, now) for entry in self.entries}
            return []
        fired = []
        for entry, at in self.due.items():
            if at <= now:
                self.app.extensions["jobs"].submit(Job(entry.task, queue=entry.queue))
                self.due[entry] = next_run(entry, now)
                fired.append(entry.task)
        return fired

    def run(self) -> None:
        self.tick(datetime.now(UTC))
        while not self.stopped.is_set():
            now = datetime.now(UTC)
            self.tick(now)
            wait = min((at - now).total_seconds() for at in self.due.values()) if self.due else 60
            self.stopped.wait(max(1.0, min(wait, 60.0)))
