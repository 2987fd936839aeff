"""The every-minute relays under a backlog (issue 13): an event whose job is still queued in rq is
left to that job; only an event whose job is lost (gone from Redis, failed for good) gets a new
one. Real Redis, no worker: the jobs stay where the relay finds them."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from app import uow
from app.events import DELIVER_EVENT, DomainEvent, publish, relay_undelivered
from app.extensions import db
from app.timeutil import utcnow
from payments.models import PaymentEvent
from payments.relay import relay_gateway_events
from payments.webhooks import PROCESS_EVENT
from tests.conftest import build_app, clear_tables
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import event, post_event


@pytest.fixture
def rq_app(database_url, redis_server):
    app = build_app(database_url, REDIS_URL=redis_server.url, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    Redis.from_url(redis_server.url).flushall()
    yield app
    clear_tables(app)


def _queued(redis_server) -> list[tuple[str, str, tuple]]:
    queue = Queue("high", connection=Redis.from_url(redis_server.url))
    return [(job.id, job.args[0], tuple(job.args[1:])) for job in queue.jobs]


def _two_minutes_old(model, column) -> None:
    db.session.execute(sa.update(model).values({column: utcnow() - dt.timedelta(minutes=2)}))
    db.session.commit()


def test_a_gateway_event_waiting_for_its_job_is_not_relayed_a_lost_one_is(rq_app, redis_server):
    client = rq_app.test_client()
    for n in range(3):
        assert (
            post_event(client, event("payment_intent.succeeded", f"pi_{n}", 100)).status_code == 200
        )
    with rq_app.app_context():
        ids = db.session.scalars(sa.select(PaymentEvent.id).order_by(PaymentEvent.id)).all()
        _two_minutes_old(PaymentEvent, "received_at")  # past the relay's grace, still unprocessed
        waiting = [(f"payment-event-{i}", PROCESS_EVENT, (i,)) for i in ids]
        assert _queued(redis_server) == waiting
        assert relay_gateway_events() == 0  # a backlog: each job is still on its way
        assert _queued(redis_server) == waiting

        connection = Redis.from_url(redis_server.url)
        Job.fetch(f"payment-event-{ids[0]}", connection=connection).delete()  # lost with Redis
        failed = Job.fetch(f"payment-event-{ids[1]}", connection=connection)
        Queue("high", connection=connection).remove(failed)
        failed.set_status(JobStatus.FAILED)  # its retries spent
        assert relay_gateway_events() == 2
        assert sorted(_queued(redis_server)) == sorted(waiting)  # each job once, named as before
        attempts = db.session.execute(
            sa.select(PaymentEvent.id, PaymentEvent.relay_attempts).order_by(PaymentEvent.id)
        ).all()
        assert attempts == [(ids[0], 1), (ids[1], 1), (ids[2], 0)]
        assert relay_gateway_events() == 0


def test_a_domain_event_waiting_for_its_job_is_not_relayed_a_lost_one_is(rq_app, redis_server):
    with rq_app.app_context():
        with uow.transaction():
            waiting = publish("payment.succeeded", payment_id=999_001, application_id=None).id
            lost = publish("payment.succeeded", payment_id=999_002, application_id=None).id
        _two_minutes_old(DomainEvent, "created_at")
        assert _queued(redis_server) == [
            (f"event-{waiting}", DELIVER_EVENT, (waiting,)),
            (f"event-{lost}", DELIVER_EVENT, (lost,)),
        ]
        assert relay_undelivered() == 0

        Job.fetch(f"event-{lost}", connection=Redis.from_url(redis_server.url)).delete()
        # Both of its handlers (licensing's and receipts') are handed out, in one job.
        assert relay_undelivered() == 2
        assert _queued(redis_server) == [
            (f"event-{waiting}", DELIVER_EVENT, (waiting,)),
            (f"event-{lost}", DELIVER_EVENT, (lost,)),
        ]
