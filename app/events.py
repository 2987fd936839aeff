"""Domain events: a package states a fact it owns; the packages that care act on it after commit.

`publish("payment.succeeded", payment_id=7)` is called inside the transaction that makes the fact
true: it adds a `domain_events` row there (durable: kept exactly when the fact is). After that
commit, one job (`deliver_event`) runs each subscriber's handler in a unit of work of its own and
records the delivery in the same transaction, so a handler's work and its "delivered" mark are
kept or lost together; a handler that fails leaves the others' work kept and the job is tried
again for it alone. (One job per event, not per handler: a job is a worker's round trip to Redis
and, with a forking worker, a fork; a payment's success has two subscribers.) A job lost on the
way (Redis down at the enqueue, a worker killed) is handed out again by `relay_undelivered`,
every minute; an event whose job is merely waiting in a backlog is left to it. Handlers take
ids, are idempotent (they lock what they change and look before they act), and may publish in
turn.

Subscribers live in the package that owns the consequence (`licensing.subscribers`, …) and
register with `@subscribe("payment.succeeded")`; `SUBSCRIBER_MODULES` lists those modules so a
worker knows every handler without importing the web app's blueprints. The publisher imports
nothing of theirs.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

log = logging.getLogger(__name__)

SUBSCRIBER_MODULES = (
    "licensing.subscribers",
    "payments.subscribers",
    "receipts.subscribers",
    "refunds.subscribers",
)
DELIVER = "app.events.deliver"  # one handler (jobs queued before `deliver_event`)
DELIVER_EVENT = "app.events.deliver_event"  # every handler of one event
# The delivery job runs within seconds of the commit; only an event older than this is relayed.
GRACE = timedelta(seconds=60)
RELAY_BATCH = 500
# Older than this an undelivered event is a fault for a person (logged by the handler's job).
RELAY_WINDOW = timedelta(days=7)

Handler = Callable[..., Any]
_subscribers: dict[str, dict[str, Handler]] = {}
_loaded = False


class HandlersFailed(RuntimeError):
    """Some handlers of an event failed (their work undone, the others' kept): the job is tried
    again, and runs those only."""


class DomainEvent(db.Model):
    __tablename__ = "domain_events"
    __table_args__ = (sa.Index("ix_domain_events_name_created", "name", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventDelivery(db.Model):
    """One handler's delivery of one event: its row exists once the handler's work is kept."""

    __tablename__ = "domain_event_deliveries"
    __table_args__ = (sa.UniqueConstraint("event_id", "handler"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("domain_events.id", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(sa.String(200))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def subscribe(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of `name`; it is called with the event's
    payload as keyword arguments (ids), inside a job's unit of work."""

    def register(handler: Handler) -> Handler:
        path = f"{handler.__module__}.{handler.__qualname__}"
        _subscribers.setdefault(name, {})[path] = handler
        return handler

    return register


def subscribers(name: str) -> dict[str, Handler]:
    """Every handler of `name`, by dotted path (the subscriber modules are imported once)."""
    global _loaded
    if not _loaded:
        for module in SUBSCRIBER_MODULES:
            importlib.import_module(module)
        _loaded = True
    return dict(_subscribers.get(name, {}))


def publish(name: str, **payload: Any) -> DomainEvent:
    """State that `name` happened, in the current transaction; each subscriber runs after it
    commits (nothing runs if it rolls back). The payload holds ids and plain values only."""
    from jobs import enqueue

    _refuse_unless_plain(name, payload)
    event = DomainEvent(name=name, payload=payload)
    db.session.add(event)
    db.session.flush()
    if subscribers(name):
        enqueue(DELIVER_EVENT, event.id, queue="high", job_id=_event_job_id(event.id))
    return event


def deliver_event(event_id: int) -> str:
    """Job: run every handler of one event not yet delivered, each in its own unit of work (as
    `deliver` does: its work and its delivery row committed together). A failing handler's work
    is rolled back and the others still run; then `HandlersFailed` is raised so that the job is
    tried again, when the delivered ones are skipped. The event and its deliveries are read once,
    and the jobs the handlers' commits send are handed out together after the last one
    (`jobs.gathered`): their notices are one delivery job, not one per handler."""
    from app import uow
    from jobs import gathered

    found = db.session.execute(
        sa.select(DomainEvent.name, DomainEvent.payload).where(DomainEvent.id == event_id)
    ).first()
    if found is None:
        return "unknown event"
    name, payload = found
    delivered = set(
        db.session.scalars(
            sa.select(EventDelivery.handler).where(EventDelivery.event_id == event_id)
        )
    )
    uow.release()  # read only so far
    outcomes, failed = [], []
    with gathered():
        for path, function in subscribers(name).items():
            if path in delivered:
                outcomes.append(f"{path}: already delivered")
                continue
            try:
                with uow.transaction():
                    outcomes.append(f"{path}: {_run(event_id, path, function, payload)}")
            except Exception:  # noqa: BLE001 - the other handlers still run; the job fails after
                log.exception("event handler failed", extra={"event_id": event_id, "handler": path})
                failed.append(path)
    if failed:
        raise HandlersFailed(f"event {event_id}: {', '.join(failed)} failed")
    return "; ".join(outcomes) or "no handlers"


def deliver(event_id: int, handler: str) -> str:
    """Job: run one handler on one event, once. The job's unit of work commits the handler's
    work together with the delivery row; a duplicate delivery finds the row and does nothing,
    and two racing ones cannot both commit (the unique delivery row)."""
    if _delivered(event_id, handler):
        return "already delivered"
    event = db.session.get(DomainEvent, event_id)
    if event is None:
        return "unknown event"
    function = subscribers(event.name).get(handler)
    if function is None:
        log.warning("event for a handler no longer subscribed", extra={"handler": handler})
        return "no such handler"
    return _run(event_id, handler, function, event.payload)


def _run(event_id: int, handler: str, function: Handler, payload: dict[str, Any]) -> str:
    """The handler's work and its delivery row, in the caller's unit of work (the unique row
    refuses a second delivery that raced this one)."""
    outcome = function(**payload)
    db.session.add(EventDelivery(event_id=event_id, handler=handler))
    db.session.flush()
    return str(outcome) if outcome is not None else "delivered"


def deliver_now(event: DomainEvent) -> None:
    """Run every handler of a committed event in this process, each in its own unit of work (for
    a command-line caller with no job backend to wait for)."""
    from app import uow

    for path in subscribers(event.name):
        with uow.transaction():
            deliver(event.id, path)


def relay_undelivered(now: datetime | None = None) -> int:
    """Periodic: hand every event with a handler not yet delivered, older than the grace period
    and younger than a week, to a new delivery job (one query per subscribed handler), unless
    its job is still on its way (queued in a backlog, or waiting for a retry). Returns how many
    (event, handler) deliveries were handed out."""
    from jobs import Job, dispatch
    from jobs.waiting import on_their_way

    now = now or utcnow()
    subscribers("")  # load the subscriber modules
    missing: dict[int, list[str]] = {}
    for name, handlers in sorted(_subscribers.items()):
        for path in sorted(handlers):
            undelivered = db.session.scalars(
                sa.select(DomainEvent.id)
                .where(
                    DomainEvent.name == name,
                    DomainEvent.created_at <= now - GRACE,
                    DomainEvent.created_at > now - RELAY_WINDOW,
                    ~sa.exists().where(
                        EventDelivery.event_id == DomainEvent.id, EventDelivery.handler == path
                    ),
                )
                .order_by(DomainEvent.id)
                .limit(RELAY_BATCH)
            ).all()
            for event_id in undelivered:
                missing.setdefault(event_id, []).append(path)
    waiting = on_their_way(
        job_id
        for event_id, paths in missing.items()
        for job_id in (_event_job_id(event_id), *(_job_id(event_id, p) for p in paths))
    )
    handed = 0
    for event_id, paths in sorted(missing.items()):
        paths = [p for p in paths if _job_id(event_id, p) not in waiting]
        if paths and _event_job_id(event_id) not in waiting:
            dispatch(Job(DELIVER_EVENT, (event_id,), "high", _event_job_id(event_id)))
            handed += len(paths)
    if handed:
        log.info("domain events relayed", extra={"count": handed})
    return handed


def _refuse_unless_plain(name: str, payload: dict[str, Any]) -> None:
    """The handlers get the payload back from a JSON column: refuse, at the publisher, what would
    not come back the same (a date, a Decimal, a model fails in the flush; a tuple comes back a
    list, a number key a string)."""
    try:
        same = json.loads(json.dumps(payload)) == payload
    except (TypeError, ValueError):
        same = False
    if not same:
        raise TypeError(f"{name}: a payload holds ids and plain JSON values only: {payload!r}")


def _delivered(event_id: int, handler: str) -> bool:
    return (
        db.session.scalar(
            sa.select(EventDelivery.id).where(
                EventDelivery.event_id == event_id, EventDelivery.handler == handler
            )
        )
        is not None
    )


def _job_id(event_id: int, handler: str) -> str:
    """The job of one handler's delivery, as `publish` named it before `deliver_event`."""
    return f"event-{event_id}-{handler.replace('.', '-')}"


def _event_job_id(event_id: int) -> str:
    return f"event-{event_id}"
