"""Domain events with the app's database and the in-process job backend: what rolls back is never
delivered; what commits reaches each subscriber once, in a unit of work of its own; a handler
that fails is tried again; the relay hands out exactly what was not delivered."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import events, uow
from app.events import (
    DELIVER,
    DELIVER_EVENT,
    DomainEvent,
    EventDelivery,
    publish,
    relay_undelivered,
    subscribe,
)
from app.extensions import db
from app.timeutil import utcnow
from jobs.runner import execute

# The effects and deliveries are read back on connections of their own, and the handlers run on
# the job thread: the events' work is committed for real.
pytestmark = pytest.mark.committed

FACT = "test.fact"
calls: list[tuple[str, dict]] = []
failures_left: dict[str, int] = {}


def _effect(by: str, payload: dict) -> None:
    """What a handler does: a row of its own, kept only with its unit of work."""
    calls.append((by, payload))
    db.session.add(DomainEvent(name="test.effect", payload={"by": by, **payload}))
    db.session.flush()


def record_a(**payload) -> None:
    _effect("a", payload)


def record_b(**payload) -> None:
    _effect("b", payload)


def flaky(**payload) -> None:
    _effect("flaky", payload)
    if failures_left.get("flaky", 0) > 0:
        failures_left["flaky"] -= 1
        raise RuntimeError("the handler fails after writing")


A, B, FLAKY = (f"{__name__}.{f}" for f in ("record_a", "record_b", "flaky"))


@pytest.fixture
def handlers(app_ctx, monkeypatch):
    """`record_a` and `record_b` subscribe to FACT for the test only."""
    events.subscribers("")  # the app's subscriber modules first, as in production
    monkeypatch.setitem(events._subscribers, FACT, {})
    calls.clear()
    failures_left.clear()
    subscribe(FACT)(record_a)
    subscribe(FACT)(record_b)
    return app_ctx


def _drain(app, timeout: float = 10.0) -> None:
    db.session.remove()  # the test's own session holds no transaction while jobs run
    assert app.extensions["jobs"].drain(timeout)


def _effects() -> list[tuple[str, dict]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.select(DomainEvent.payload)
            .where(DomainEvent.name == "test.effect")
            .order_by(DomainEvent.id)
        )
        return sorted((p.pop("by"), p) for (p,) in rows)


def _deliveries() -> set[tuple[int, str]]:
    with db.engine.connect() as connection:
        return set(connection.execute(sa.select(EventDelivery.event_id, EventDelivery.handler)))


def test_an_event_whose_transaction_rolls_back_is_never_delivered(handlers):
    publish(FACT, payment_id=7)
    uow.rollback()
    _drain(handlers)
    assert calls == []
    with db.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count(DomainEvent.id))) == 0


def test_after_commit_each_subscriber_runs_once_in_its_own_unit_of_work(handlers):
    with uow.transaction():
        event_id = publish(FACT, payment_id=7, application_id=3).id
    _drain(handlers)
    assert sorted(by for by, _ in calls) == ["a", "b"]
    assert _effects() == [
        ("a", {"payment_id": 7, "application_id": 3}),
        ("b", {"payment_id": 7, "application_id": 3}),
    ]
    assert _deliveries() == {(event_id, A), (event_id, B)}

    # the same delivery again (a duplicate job, a relay racing the job) changes nothing
    assert execute(DELIVER, event_id, A) == "already delivered"
    assert execute(DELIVER, event_id, B) == "already delivered"
    assert len(calls) == 2 and len(_effects()) == 2


def test_one_delivery_job_per_event_whatever_its_subscribers(handlers, monkeypatch):
    """A job is a worker's round trip to Redis (and, with a forking worker, a fork): an event of
    two subscribers makes one job, which runs both; an event nobody subscribes to makes none."""
    backend = handlers.extensions["jobs"]
    submitted = []
    submit = backend.submit
    monkeypatch.setattr(backend, "submit", lambda job, *a: (submitted.append(job), submit(job, *a)))
    with uow.transaction():
        event_id = publish(FACT, payment_id=7).id
        publish("test.nobody_listens", payment_id=7)
    _drain(handlers)
    assert [(j.task, j.args, j.job_id, j.queue) for j in submitted] == [
        (DELIVER_EVENT, (event_id,), f"event-{event_id}", "high")
    ]
    assert _deliveries() == {(event_id, A), (event_id, B)}
    assert execute(DELIVER_EVENT, event_id) == (f"{A}: already delivered; {B}: already delivered")
    assert sorted(by for by, _ in calls) == ["a", "b"]


def test_a_failing_handler_keeps_nothing_and_is_tried_again(handlers):
    subscribe(FACT)(flaky)
    failures_left["flaky"] = 1
    with uow.transaction():
        event_id = publish(FACT, refund_id=5).id
    db.session.remove()
    deadline = time.monotonic() + 10
    while not any(by == "flaky" for by, _ in calls) and time.monotonic() < deadline:
        time.sleep(0.05)
    # its first run failed: the backend holds it for a retry after its back-off (10 s)
    assert handlers.extensions["jobs"].drain(1.0) is False
    assert ("flaky", {"refund_id": 5}) not in _effects()  # its write went with its unit of work
    assert _deliveries() == {(event_id, A), (event_id, B)}  # the others' work is theirs
    _drain(handlers, timeout=30)
    assert _deliveries() == {(event_id, A), (event_id, B), (event_id, FLAKY)}
    assert [by for by, _ in calls].count("flaky") == 2
    assert [by for by, _ in _effects()].count("flaky") == 1


def _stored(name: str, age: timedelta, now) -> int:
    """An event whose delivery jobs were lost (Redis down at the enqueue): a row, no job."""
    row = DomainEvent(name=name, payload={"age": str(age)}, created_at=now - age)
    db.session.add(row)
    db.session.flush()
    return row.id


def test_the_relay_hands_out_exactly_the_undelivered_pairs_past_the_grace(handlers):
    now = utcnow()
    with uow.transaction():
        lost = _stored(FACT, events.GRACE + timedelta(seconds=1), now)
        half = _stored(FACT, timedelta(minutes=10), now)
        db.session.add(EventDelivery(event_id=half, handler=A))  # A has it, B lost it
        young = _stored(FACT, events.GRACE - timedelta(seconds=5), now)  # its job may yet run
        ancient = _stored(FACT, timedelta(days=8), now)  # past the relay window
        _stored("test.nobody_listens", timedelta(minutes=10), now)
    assert relay_undelivered(now) == 3
    _drain(handlers)
    delivered = _deliveries()
    assert delivered == {(lost, A), (lost, B), (half, A), (half, B)}
    assert not {(young, A), (young, B), (ancient, A), (ancient, B)} & delivered
    assert sorted(by for by, _ in calls) == ["a", "b", "b"]
    with uow.transaction():
        assert relay_undelivered(now) == 0  # nothing is handed out twice


def test_the_payload_is_json_and_comes_back_the_same(handlers):
    with uow.transaction():
        event_id = publish(FACT, payment_id=7, gateway="thawani", note=None, ids=[1, 2]).id
    with db.engine.connect() as connection:
        raw = connection.scalar(
            sa.text("SELECT CAST(payload AS TEXT) FROM domain_events WHERE id = :id"),
            {"id": event_id},
        )
    assert raw.replace(" ", "") == '{"payment_id":7,"gateway":"thawani","note":null,"ids":[1,2]}'
    _drain(handlers)
    assert ("a", {"payment_id": 7, "gateway": "thawani", "note": None, "ids": [1, 2]}) in calls
    for not_plain in ({"when": utcnow()}, {"ids": (1, 2)}, {"by_id": {1: "x"}}):
        with pytest.raises(TypeError):
            publish(FACT, **not_plain)
    uow.rollback()


def test_an_event_delivery_reads_the_event_once_and_each_handler_writes_its_row(
    handlers, monkeypatch
):
    """The statements of one event's delivery job: the event and its deliveries read once, then
    per handler its own work and its delivery row; a second run only reads."""
    from tests.statements import statements

    backend = handlers.extensions["jobs"]
    monkeypatch.setattr(backend, "submit", lambda job, *a: None)  # the job waits for the test
    with uow.transaction():
        event_id = publish(FACT, payment_id=7).id
    db.session.remove()
    with statements(handlers) as sent:
        assert execute(DELIVER_EVENT, event_id) == f"{A}: delivered; {B}: delivered"
    assert len(sent) == 6, sent.text()
    assert [sql.split()[0] for sql in sent] == ["SELECT", "SELECT"] + ["INSERT", "INSERT"] * 2
    assert len(sent.touching("domain_event_deliveries")) == 3, sent.text()
    with statements(handlers) as sent:
        assert execute(DELIVER_EVENT, event_id) == (
            f"{A}: already delivered; {B}: already delivered"
        )
    assert len(sent) == 2, sent.text()
    assert _deliveries() == {(event_id, A), (event_id, B)}
