"""The relay of recorded gateway events: the webhook records an event and enqueues its job after
commit; when that job is lost (Redis down at the enqueue, a worker killed mid-job, its retries
spent), the event stays unprocessed in `payment_events` and this relay hands it to a new job,
as `relay_notifications` does for the outbox. An event whose job is still queued (a backlog) is
left to it: rq is asked (`jobs.waiting`), and only a lost job is replaced. Applying an event
twice is harmless (`process_event` skips a processed event and applies a status under the
payment's row lock), so a relayed job racing a late original one changes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from app import uow
from app.extensions import db
from app.timeutil import utcnow
from jobs import Job, dispatch
from jobs.waiting import on_their_way
from payments.models import PaymentEvent
from payments.webhooks import PROCESS_EVENT, process_job_id

log = logging.getLogger(__name__)

# The job enqueued at receipt runs within seconds; only an event older than this is relayed.
GRACE = timedelta(seconds=60)
# Seconds between relays of one event that keeps failing; after the last it is left to the
# reconciliation (which compares the payment with Stripe every 10 minutes) and logged.
BACKOFF = (60, 120, 300, 900, 1800, 3600)
MAX_RELAYS = len(BACKOFF) + 1
RELAY_BATCH = 500


def _due(now):
    return sa.and_(
        PaymentEvent.processed_at.is_(None),
        PaymentEvent.relay_attempts < MAX_RELAYS,
        sa.func.coalesce(PaymentEvent.next_relay_at, PaymentEvent.received_at) <= now,
    )


def _claim_due(now) -> list[tuple[int, int]]:
    """Claim the due events whose job is lost (up to RELAY_BATCH), reading the due ones a page
    at a time: under a backlog most are merely waiting for their job, which is left to run."""
    relayed: list[tuple[int, int]] = []
    after = 0
    while len(relayed) < RELAY_BATCH:
        page = db.session.execute(
            sa.select(PaymentEvent.id, PaymentEvent.relay_attempts)
            .where(_due(now), PaymentEvent.received_at <= now - GRACE, PaymentEvent.id > after)
            .order_by(PaymentEvent.id)
            .limit(RELAY_BATCH)
        ).all()
        if not page:
            break
        after = page[-1][0]
        waiting = on_their_way(process_job_id(event_id) for event_id, _ in page)
        for event_id, attempts in page:
            if len(relayed) == RELAY_BATCH:
                break
            if process_job_id(event_id) not in waiting and _claim(event_id, attempts, now):
                relayed.append((event_id, attempts + 1))
    return relayed


def _claim(event_id: int, attempts: int, now) -> bool:
    wait = BACKOFF[min(attempts, len(BACKOFF) - 1)]
    claimed = db.session.execute(
        sa.update(PaymentEvent)
        .where(PaymentEvent.id == event_id, _due(now))
        .values(
            relay_attempts=PaymentEvent.relay_attempts + 1,
            next_relay_at=now + timedelta(seconds=wait),
        )
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # another relay (a second cron) did not take it first


def relay_gateway_events() -> int:
    """Periodic: give every recorded, unprocessed event that is due and whose job is lost to a
    new processing job (named as the first, so that the next relay can ask after it too); each
    relay is recorded first, with the time of the next one. Returns how many."""
    now = utcnow()
    with uow.transaction():  # the relays are recorded (committed) before any job is handed out
        relayed = _claim_due(now)
    for event_id, attempt in relayed:
        if attempt == MAX_RELAYS:
            log.error("gateway event relayed for the last time", extra={"event_row_id": event_id})
        job_id = process_job_id(event_id)
        dispatch(Job(PROCESS_EVENT, (event_id,), queue="high", job_id=job_id, retry_intervals=()))
    if relayed:
        log.info("gateway events relayed", extra={"count": len(relayed)})
    return len(relayed)
