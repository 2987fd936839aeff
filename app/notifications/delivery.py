"""Delivering outbox rows: each row is sent at most once, retried with back-off, and never lost.

A sender first *claims* the row: one UPDATE, committed before anything is sent, that moves it
from queued to sending only if it is still queued (or its previous sender's claim is older than
the lease, i.e. that sender died). Only the claimant sends. Once the provider has accepted the
message, the sender records `sent`, and if the database is unreachable just then it keeps trying
for `RECORD_SENT_FOR` (well inside the lease), so a database restart does not make it send again.

Jobs: the transaction that writes rows sends one job for all of them (`deliver_notifications`),
which delivers each as `deliver_notification` does: its own claim, send and record, so one row's
failure is that row's retry and never another's. The relay hands a job only to rows whose job is
lost or who have none (see `relay_notifications`), not to rows merely waiting in a long queue.

What is left, deliberately: a sender that dies (killed, its machine lost) between the provider's
acceptance and that record, or a database down for longer than `RECORD_SENT_FOR` just then.
Its claim expires after the lease and the relay sends the row again: a notice is sent twice
rather than lost. An e-mail sent again carries the same Message-ID (one per row), so mail
systems and clients that key on it show one message; an SMS sent again is a second text.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app import uow
from app.extensions import db
from app.notifications.channels import Email, connections_kept, mailer, sms_gateway
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.services import DELIVER_ALL, load_attachment
from app.timeutil import utcnow
from jobs import Job, dispatch

log = logging.getLogger(__name__)

BACKOFF = (30, 120, 600, 1800, 7200)  # seconds before retries 1..5
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)  # a claim older than this belongs to a sender that died
RELAY_BATCH = 500
RELAY_JOB_ROWS = 10  # rows per job the relay hands out: one fork for ten, inside its time limit
# A queued row whose job has not claimed it this long after it was handed out (at commit, or by
# the relay) lost it: Redis lost it, or it was never enqueued. Until then it is waiting in the
# queue, and another job for it would only cost a worker a fork to find nothing to do.
QUEUED_GRACE = LEASE
# How long a sender keeps trying to record `sent` while the database is unreachable, and the
# pauses between tries; the whole stays well inside the lease and the job's time limit.
RECORD_SENT_FOR = 120.0
RECORD_SENT_PAUSES = (0.2, 0.5, 1, 2, 4, 8, 15)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d{7,}")


def _claimable(now):
    return sa.or_(
        sa.and_(
            Notification.state == DeliveryState.QUEUED,
            sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        ),
        sa.and_(Notification.state == DeliveryState.SENDING, Notification.claimed_at < now - LEASE),
    )


def claim(notification_id: int) -> Notification | None:
    """Take the row for sending (committed at once), or None when it is not ours to send (sent,
    or being sent). The row is answered loaded, in a new transaction that has written nothing."""
    now = utcnow()
    with uow.transaction():
        result = db.session.execute(
            sa.update(Notification)
            .where(Notification.id == notification_id, _claimable(now))
            .values(state=DeliveryState.SENDING, claimed_at=now, attempts=Notification.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        return None
    # With its account, whose address the sending reads: one statement, not a lazy load after.
    return db.session.scalar(
        sa.select(Notification)
        .where(Notification.id == notification_id)
        .options(joinedload(Notification.user))
        .execution_options(populate_existing=True)
    )


def message_id(row: Notification) -> str:
    """The Message-ID of the row's e-mail: the same on every attempt."""
    return f"<notification-{row.id}.{int(row.created_at.timestamp())}@baladiya.om>"


def outgoing(row: Notification) -> Callable[[], str]:
    """Sending the row, read now: a call to its channel, to the address the account has now,
    that needs the database no more (it is made with no transaction open)."""
    user = row.user
    if row.channel == Channel.EMAIL:
        attachments = tuple(load_attachment(a) for a in row.attachments or [])
        email = Email(
            row.to_address or user.email,
            row.title,
            row.body_text,
            row.body_html,
            attachments,
            message_id=message_id(row),
        )
        return lambda: mailer().send(email)
    if row.channel == Channel.SMS:
        phone, text = row.to_address or user.phone, row.body_text
        return lambda: sms_gateway().send(phone, text)
    raise ValueError(f"nothing to send on {row.channel}")


def deliver_notification(notification_id: int) -> None:
    """Job: claim the row (committed), send it with no transaction open, record the outcome
    (sent, queued for a retry, or failed) in a transaction of its own."""
    row = claim(notification_id)
    if row is None:
        log.info("notification not claimable", extra={"notification_id": notification_id})
        return
    claimed = {"notification_id": row.id, "attempts": row.attempts}  # this claim's attempt
    try:
        # Its own unit of work: loading an attachment may record a document rendered on the way.
        with uow.transaction():
            message = outgoing(row)
        uow.assert_no_transaction("sending a notice")
        reference = message()
    except Exception as error:  # noqa: BLE001 - every failure is recorded and retried
        _record_failure(claimed, error)
        return
    _record_sent(claimed["notification_id"], claimed["attempts"], reference[:200] or None)
    log.info("notification sent", extra=claimed)


def deliver_notifications(notification_ids: list[int]) -> None:
    """Job: deliver each row as `deliver_notification` does, in order. A row whose delivery broke
    (the database away, say) does not stop the others; the job then raises at the end, and its
    retry finds the rows already sent no longer claimable. Their e-mails go over one SMTP
    connection (`connections_kept`)."""
    broken: Exception | None = None
    with connections_kept():
        for notification_id in notification_ids:
            try:
                deliver_notification(notification_id)
            except Exception as error:  # noqa: BLE001 - the other rows still go; raised below
                log.warning(
                    "notification delivery broke", extra={"notification_id": notification_id}
                )
                uow.rollback()
                broken = broken or error
    if broken is not None:
        raise broken


def _record_sent(notification_id: int, attempts: int, reference: str | None) -> None:
    """Record that the provider accepted the row, retrying while the database is unreachable
    (up to `RECORD_SENT_FOR`; then raise, and the lease decides). Only this sender's claim
    (the attempt it counted) is recorded, never over a later claimant's."""
    from app.errors import database_unavailable

    deadline = time.monotonic() + RECORD_SENT_FOR
    for pause in itertools.chain(RECORD_SENT_PAUSES, itertools.repeat(RECORD_SENT_PAUSES[-1])):
        try:
            with uow.transaction():
                db.session.execute(
                    sa.update(Notification)
                    .where(Notification.id == notification_id, Notification.attempts == attempts)
                    .values(
                        state=DeliveryState.SENT,
                        sent_at=utcnow(),
                        provider_reference=reference,
                        last_error=None,
                    )
                    .execution_options(synchronize_session=False)
                )
            return
        except sa.exc.SQLAlchemyError as error:
            if not database_unavailable(error) or time.monotonic() + pause > deadline:
                log.error(
                    "sent but could not record it; the lease will send it again",
                    extra={"notification_id": notification_id},
                )
                raise
            log.warning(
                "sent; the database is unreachable, recording again shortly",
                extra={"notification_id": notification_id, "pause": pause},
            )
            time.sleep(pause)


def _record_failure(claimed: dict[str, int], error: Exception) -> None:
    """Record a failed attempt (`claimed`: the row's id and the attempt), in a transaction of its
    own: queued again after its back-off, or failed for good after the last attempt."""
    attempts = claimed["attempts"]
    values: dict = {"last_error": _ADDRESS.sub("[address]", f"{type(error).__name__}: {error}")}
    values["last_error"] = values["last_error"][:500]
    if attempts >= MAX_ATTEMPTS:
        values["state"] = DeliveryState.FAILED
        log.error("notification failed for good", extra=claimed)
    else:
        values["state"] = DeliveryState.QUEUED
        values["next_attempt_at"] = utcnow() + timedelta(seconds=BACKOFF[attempts - 1])
        log.warning("notification will be retried", extra=claimed)
    uow.rollback()  # whatever the failed step left open (nothing it wrote is kept)
    with uow.transaction():
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id == claimed["notification_id"])
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _job_lost(now):
    """Queued rows due to be sent that no job is on its way to: handed out (at commit, or by the
    relay, which leaves `claimed_at` empty and stamps `next_attempt_at`) longer than
    `QUEUED_GRACE` ago, or due for a retry after a failed attempt (no job is ever handed out
    for those until the relay does: their `claimed_at` is the failed attempt's)."""
    waited_since = sa.case(
        (Notification.next_attempt_at.is_(None), Notification.created_at),
        (Notification.claimed_at.is_(None), Notification.next_attempt_at),
        else_=None,
    )
    return sa.and_(
        Notification.state == DeliveryState.QUEUED,
        sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        sa.or_(waited_since.is_(None), waited_since < now - QUEUED_GRACE),
    )


def _lease_expired(now):
    return sa.and_(
        Notification.state == DeliveryState.SENDING, Notification.claimed_at < now - LEASE
    )


def relay_notifications() -> int:
    """Periodic: hand a delivery job to every row that needs one: queued and its job lost, due
    for a retry, or abandoned by a sender that died (its claim older than the lease). A row
    waiting in the queue for the job its transaction sent is left to it. The queued rows handed
    out are stamped (`next_attempt_at` now, `claimed_at` empty), so the next relays leave them
    to this job for `QUEUED_GRACE` too; a row whose sender died keeps its claim (the lease is the
    claim's age) and is handed out again at each relay until a job takes it. Returns how many
    rows."""
    now = utcnow()
    with uow.transaction():
        ids = list(
            db.session.scalars(
                sa.select(Notification.id)
                .where(sa.or_(_job_lost(now), _lease_expired(now)))
                .order_by(Notification.id)
                .limit(RELAY_BATCH)
            )
        )
        if ids:
            db.session.execute(
                sa.update(Notification)
                .where(Notification.id.in_(ids), _job_lost(now))  # still queued and lost
                .values(next_attempt_at=now, claimed_at=None)
                .execution_options(synchronize_session=False)
            )
    # committed: the jobs are handed out with no transaction open
    for first in range(0, len(ids), RELAY_JOB_ROWS):
        chunk = ids[first : first + RELAY_JOB_ROWS]
        dispatch(Job(DELIVER_ALL, (chunk,), queue="high", retry_intervals=()))
    if ids:
        log.info("notifications relayed", extra={"count": len(ids)})
    return len(ids)
