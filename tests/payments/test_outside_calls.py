"""On PostgreSQL: a gateway call is never made under a row lock. Another connection holds the
payment's row lock; the gateway is still asked at once, and only the recording of its answer
waits for the lock."""

from __future__ import annotations

import contextlib
import threading

import sqlalchemy as sa

from app.extensions import db
from payments.models import Payment
from payments.reconciliation import reconcile_payments
from tests.payments.conftest import wait_for
from tests.payments.helpers import payment_pending
from tests.payments.proxy import RecordingProxy
from tests.payments.test_concurrency import _started, pg, pg_app  # noqa: F401 - fixtures


@contextlib.contextmanager
def _row_locked(app, payment_id: int):
    """The payment's row locked FOR UPDATE by a connection of its own until the block ends."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        connection.execute(
            sa.text("SELECT id FROM payments WHERE id = :id FOR UPDATE"), {"id": payment_id}
        )
        try:
            yield
        finally:
            transaction.rollback()
            connection.close()


@contextlib.contextmanager
def _through(app, proxy: RecordingProxy):
    saved = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = proxy.url
    try:
        yield
    finally:
        app.config["STRIPE_API_BASE"] = saved


def _in_thread(app, work):
    outcome: dict = {}

    def run():
        with app.app_context():
            outcome["value"] = work()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _state(app, payment_id: int) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Payment.state).where(Payment.id == payment_id))


def test_reconciliation_asks_the_gateway_while_another_holds_the_payments_lock(
    pg,  # noqa: F811
    localstripe,
):
    localstripe.deliver_webhooks_to("http://127.0.0.1:9/closed")  # the webhook is missed
    _, _, payment = _started(pg)
    assert localstripe.pay(payment["gateway_intent_id"]).status == "succeeded"
    proxy = RecordingProxy(localstripe.url)
    asked = f"/v1/payment_intents/{payment['gateway_intent_id']}"
    try:
        with _through(pg, proxy), _row_locked(pg, payment["payment_id"]):
            thread, outcome = _in_thread(pg, reconcile_payments)
            wait_for(lambda: any(s.path.startswith(asked) for s in proxy.seen), timeout=15)
            # Asked while the lock is held; the repair waits for it.
            assert thread.is_alive() and _state(pg, payment["payment_id"]) == "pending"
        thread.join(timeout=30)
    finally:
        proxy.stop()
    assert outcome["value"] == 1
    assert _state(pg, payment["payment_id"]) == "succeeded"


def test_starting_asks_the_gateway_while_another_holds_the_payments_lock(
    pg,  # noqa: F811
    localstripe,
):
    """A payment recorded during an outage (no intent yet) is resumed by the same request: the
    intent is made while the row is locked elsewhere, and recorded once the lock is released."""
    client = pg.test_client()
    _, headers, application = payment_pending(pg, client)
    url = f"/api/v1/applications/{application['id']}/payment"
    localstripe.stop()
    try:
        assert client.post(url, headers=headers).status_code == 503
    finally:
        localstripe.start()
    with pg.app_context():
        payment_id = db.session.scalar(sa.select(Payment.id))
    proxy = RecordingProxy(localstripe.url)
    try:
        with _through(pg, proxy), _row_locked(pg, payment_id):
            thread, outcome = _in_thread(pg, lambda: client.post(url, headers=headers))
            wait_for(
                lambda: any(
                    (s.method, s.path) == ("POST", "/v1/payment_intents") for s in proxy.seen
                ),
                timeout=15,
            )
            assert thread.is_alive()  # its answer waits for the lock to be recorded
        thread.join(timeout=30)
    finally:
        proxy.stop()
    answer = outcome["value"]
    assert answer.status_code == 201 and answer.get_json()["payment_id"] == payment_id
    with pg.app_context():
        assert (
            db.session.get(Payment, payment_id).gateway_intent_id
            == (answer.get_json()["gateway_intent_id"])
        )
