"""On PostgreSQL, concurrently: one receipt per payment, and consecutive numbers without gaps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from app.accounts.models import User
from app.catalogue.models import Service
from app.extensions import db
from jobs.runner import execute
from licensing.models import Application
from licensing.services import create_application
from payments.gateways.stripe.webhooks import event_of
from payments.models import Payment, PaymentEvent
from payments.webhooks import PROCESS_EVENT, stored
from receipts.models import Receipt
from tests.factories import applicant_data
from tests.licensing.helpers import put_in_state
from tests.payments.helpers import event
from tests.payments.test_concurrency import _deliver, _started, pg, pg_app  # noqa: F401 - fixtures


def _process_concurrently(app, event_ids, workers=32):
    def work(event_id):
        with app.app_context():
            return execute(PROCESS_EVENT, event_id)  # as a job: its own unit of work

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, event_ids))


def test_fifty_distinct_success_events_processed_at_once_issue_one_receipt(pg):  # noqa: F811
    _, _, payment = _started(pg)
    with pg.app_context():
        rows = [
            PaymentEvent(
                gateway_event_id=f"evt_same_{i}",
                type="payment_intent.succeeded",
                gateway_intent_id=payment["gateway_intent_id"],
                payload=stored(
                    event_of(event("payment_intent.succeeded", payment["gateway_intent_id"], 50000))
                ),
            )
            for i in range(50)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
    outcomes = _process_concurrently(pg, ids)
    assert outcomes.count("succeeded") == 1 and outcomes.count("already succeeded") == 49
    assert pg.extensions["jobs"].drain(60)  # receipts issues the receipt on payment.succeeded
    with pg.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1


def test_fifty_duplicate_deliveries_issue_one_receipt(pg):  # noqa: F811
    _, _, payment = _started(pg)
    succeeded = event("payment_intent.succeeded", payment["gateway_intent_id"], 50000)
    with ThreadPoolExecutor(max_workers=50) as pool:
        assert all(s == 200 for s in pool.map(lambda _: _deliver(pg, succeeded), range(50)))
    assert pg.extensions["jobs"].drain(60)
    with pg.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1


def test_two_hundred_concurrent_payments_get_two_hundred_consecutive_numbers(pg):  # noqa: F811
    from app.accounts.services import register_applicant

    with pg.app_context():
        user = register_applicant(applicant_data(), "en")
        service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
        intents = []
        for i in range(200):
            application = create_application(db.session.get(User, user.id), service, {})
            application = db.session.get(Application, application.id)
            put_in_state(application.id, "payment_pending")  # set-up: the payment step is tested
            db.session.add(
                Payment(
                    reference=f"pay-bulk-{i}",
                    authority_id=application.authority_id,
                    application_id=application.id,
                    payer_id=user.id,
                    amount_baisa=50000,
                    state="pending",
                    gateway_intent_id=f"pi_bulk_{i:04d}",
                )
            )
            intents.append(f"pi_bulk_{i:04d}")
        db.session.commit()
    # Recorded events, processed by 32 workers at once (what several rq workers do in production).
    with pg.app_context():
        rows = [
            PaymentEvent(
                gateway_event_id=f"evt_bulk_{i}",
                type="payment_intent.succeeded",
                gateway_intent_id=intent,
                payload=stored(event_of(event("payment_intent.succeeded", intent, 50000))),
            )
            for i, intent in enumerate(intents)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
    _process_concurrently(pg, ids)
    # The receipts are issued on payment.succeeded, each then rendered and mailed: 200 PDFs
    # and 400 notices by one in-process job thread. That takes about 75 s on a quiet machine
    # and more than twice that beside three other test processes on two cores; the time is a
    # figure of bench/webhooks.py, not of this test, which waits long enough for any load.
    assert pg.extensions["jobs"].drain(400)
    with pg.app_context():
        numbers = db.session.scalars(sa.select(Receipt.number)).all()
    assert len(numbers) == 200 == len(set(numbers))
    sequence = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequence == list(range(1, 201))
