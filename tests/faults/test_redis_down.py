"""Redis stopped while payments land: the webhook still answers 200 and records the event; the
relay hands it to a job once Redis is back, so the application moves on, with one receipt;
and the worker and cron processes ride the outage out instead of quitting."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from rq.cron import CronScheduler

from app.catalogue.seed import seed_catalogue
from app.extensions import db
from app.timeutil import utcnow
from jobs import enqueue
from payments.models import Payment, PaymentEvent
from payments.relay import relay_gateway_events
from receipts.models import Receipt
from tests.conftest import build_app
from tests.payments.conftest import LocalStripe, configure, wait_for
from tests.payments.helpers import event, payment_pending, post_event
from tests.workers import run_burst_worker, start_worker


@pytest.fixture(scope="module")
def stripe_server():
    server = LocalStripe()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def paying_app(redis_app, stripe_server, tmp_path):
    configure(redis_app, stripe_server)
    redis_app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
    with redis_app.app_context():
        seed_catalogue()
        db.session.commit()
    return redis_app


def _settings(app) -> dict:
    keys = ("STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET", "DOCUMENT_STORAGE_PATH")
    return {key: app.config[key] for key in keys}


def test_a_payment_recorded_while_redis_is_down_is_applied_once_it_is_back(
    paying_app, fault_redis, stripe_server
):
    app, client = paying_app, paying_app.test_client()
    _, headers, application = payment_pending(app, client)
    started = client.post(f"/api/v1/applications/{application['id']}/payment", headers=headers)
    intent_id = started.get_json()["gateway_intent_id"]
    assert stripe_server.pay(intent_id).status == "succeeded"

    fault_redis.stop()
    paid = event("payment_intent.succeeded", intent_id, 3000)
    assert post_event(client, paid).status_code == 200  # recorded; its job could not be queued
    assert post_event(client, paid).status_code == 200  # Stripe's own retry: recorded once
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 1
        assert relay_gateway_events() == 0  # the job enqueued at receipt may still come
        # A minute and more passes (the relay's grace) while Redis is down.
        db.session.execute(
            sa.update(PaymentEvent).values(received_at=utcnow() - dt.timedelta(minutes=2))
        )
        db.session.commit()
    fault_redis.start()
    with app.app_context():
        assert relay_gateway_events() == 1
        assert relay_gateway_events() == 0  # relayed once: the next relay waits its back-off
    run_burst_worker(app, fault_redis.url, **_settings(app))

    detail = client.get(f"/api/v1/applications/{application['id']}", headers=headers).get_json()
    assert detail["state"] == "in_review" and detail["sla"]["started_at"]
    with app.app_context():
        payment = db.session.scalars(sa.select(Payment)).one()  # one intent, confirmed once
        assert payment.state == "succeeded" and payment.card_last4 == "4242"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1
        assert db.session.scalar(sa.select(PaymentEvent.processed_at)) is not None


def _marker_tries(path: Path) -> int:
    return int(path.read_text()) if path.exists() else 0


@pytest.fixture
def jobs_app(fault_redis, tmp_path):
    """The worker and cron processes need Redis, not a database: SQLite is enough for them."""
    return build_app(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", REDIS_URL=fault_redis.url)


def test_the_worker_rides_out_a_redis_restart(jobs_app, fault_redis, tmp_path):
    redis_app = jobs_app
    marker = tmp_path / "tries"
    worker = start_worker(redis_app, fault_redis.url)
    try:
        with redis_app.app_context():
            enqueue("tests.jobs.tasks.flaky", str(marker), 0, retry_intervals=())
            db.session.commit()
        wait_for(lambda: _marker_tries(marker) == 1, timeout=30)
        fault_redis.stop()
        time.sleep(7)  # past a blocking wait on the queues and a maintenance of the worker
        assert worker.poll() is None, Path(worker.log_path).read_text()[-3000:]
        fault_redis.start()
        with redis_app.app_context():
            enqueue("tests.jobs.tasks.flaky", str(marker), 0, retry_intervals=())
            db.session.commit()
        wait_for(lambda: _marker_tries(marker) == 2, timeout=45)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert worker.returncode == 0  # SIGTERM still stops it


def test_a_worker_started_while_redis_is_down_waits_for_it(jobs_app, fault_redis, tmp_path):
    """rq's Worker() itself names its Redis connection: a worker (re)started during an outage
    must wait for Redis, not quit on that first call."""
    marker = tmp_path / "tries"
    fault_redis.stop()
    worker = start_worker(jobs_app, fault_redis.url)
    try:
        time.sleep(3)
        assert worker.poll() is None, Path(worker.log_path).read_text()[-3000:]
        fault_redis.start()
        with jobs_app.app_context():
            enqueue("tests.jobs.tasks.flaky", str(marker), 0, retry_intervals=())
            db.session.commit()
        wait_for(lambda: _marker_tries(marker) == 1, timeout=45)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert worker.returncode == 0


def test_the_cron_process_waits_for_redis_instead_of_quitting(jobs_app, fault_redis):
    redis_app = jobs_app
    fault_redis.stop()
    cron = start_worker(redis_app, fault_redis.url, "cron")
    try:
        time.sleep(3)
        assert cron.poll() is None, Path(cron.log_path).read_text()[-3000:]
        fault_redis.start()
        connection = Redis.from_url(fault_redis.url)
        wait_for(lambda: CronScheduler.all(connection), timeout=30)
    finally:
        cron.terminate()
        cron.wait(timeout=30)
    assert cron.returncode == 0
