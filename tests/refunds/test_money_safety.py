"""Money safety: whatever the concurrency or the order of events, refunds never exceed what was
captured, and the gateway is called once per approved refund."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app import uow
from app.accounts.models import User
from app.catalogue.models import Service
from app.errors import Problem
from app.extensions import db
from licensing.services import create_application
from payments.models import Payment
from receipts.services import issue_receipt
from refunds import decisions, intake, queries, transfers
from refunds import lifecycle as rl
from refunds.models import Refund, RefundEvent, RefundFile
from tests.factories import applicant_data, login, make_staff
from tests.licensing.helpers import PDF
from tests.payments.conftest import wait_for
from tests.payments.helpers import succeeded_payment
from tests.payments.test_concurrency import _started, pg, pg_app  # noqa: F401 - fixtures

IBAN = "OM810180000001299123456"


def test_twenty_concurrent_approvals_refund_at_most_what_was_paid(pg, localstripe):  # noqa: F811
    client = pg.test_client()
    user, application, payment = _started(pg)
    localstripe.pay(payment["gateway_intent_id"])
    localstripe.deliver_webhooks_to(f"{pg.config['LIVE_URL']}/api/v1/payments/stripe/webhook")

    def succeeded():
        with pg.app_context():
            return (
                db.session.get(Payment, payment["payment_id"], populate_existing=True).state
                == "succeeded"
            )

    wait_for(succeeded)
    applicant = {"Authorization": "Bearer " + login(client, user["email"])["access_token"]}
    # 20 requests at once, each for 2.000 of the 3.000 paid: each alone is within the refundable.
    url = f"{pg.config['LIVE_URL']}/api/v1/payments/{payment['payment_id']}/refunds"
    with ThreadPoolExecutor(max_workers=20) as pool:
        asked = list(
            pool.map(
                lambda _: requests.post(
                    url,
                    json={"amount": "2.000", "reason": "overcharge"},
                    headers=applicant,
                    timeout=30,
                ),
                range(20),
            )
        )
    assert all(r.status_code == 201 for r in asked)
    finance = make_staff(pg, "finance", "NBG", department="finance")
    token = {
        "Authorization": "Bearer "
        + login(client, finance["email"], finance["password"])["access_token"]
    }
    ids = [r.json()["id"] for r in asked]
    with ThreadPoolExecutor(max_workers=20) as pool:
        approvals = list(
            pool.map(
                lambda i: requests.post(
                    f"{pg.config['LIVE_URL']}/api/v1/refunds/{i}/actions/approve",
                    json={},
                    headers=token,
                    timeout=30,
                ),
                ids,
            )
        )
    assert sorted(r.status_code for r in approvals) == [200] + [409] * 19
    assert pg.extensions["jobs"].drain(60)
    with pg.app_context():
        refunds = db.session.scalars(
            sa.select(Refund).where(Refund.payment_id == payment["payment_id"])
        ).all()
        moved = [r for r in refunds if r.state in rl.COMMITTED]
        assert len(moved) == 1 and moved[0].state == "refunded" and moved[0].gateway_attempts == 1
    intent = localstripe.client().v1.payment_intents.retrieve(
        payment["gateway_intent_id"], params={"expand": ["latest_charge"]}
    )
    assert (
        intent.latest_charge.amount_refunded == 2000
    )  # localstripe would have taken more: we did not ask


class RefundMachine(RuleBasedStateMachine):
    """Random requests, approvals (with four eyes), rejections, failed transfers and retries on one
    payment of 3.000, by bank transfer; after every step refunds never exceed the payment."""

    app = None

    @initialize()
    def start(self):
        with self.app.app_context():
            for model in (RefundEvent, RefundFile, Refund):
                db.session.execute(sa.delete(model))
            db.session.commit()
        self.ids: list[int] = []

    def _as(self, user_id):
        return db.session.get(User, user_id)

    @rule(amount=st.integers(min_value=1, max_value=4000))
    def request(self, amount):
        with self.app.app_context():
            try:
                with uow.transaction():
                    refund = intake.request_refund(
                        self._as(self.applicant_id),
                        self.payment_id,
                        {
                            "amount": amount,
                            "reason": "overcharge",
                            "method": "bank_transfer",
                            "iban": IBAN,
                            "account_holder": "Holder",
                        },
                    )
                self.ids.append(refund.id)
            except Problem:
                db.session.rollback()

    def _do(self, index, action, actor_id, **data):
        if not self.ids:
            return
        refund_id = self.ids[index % len(self.ids)]
        with self.app.app_context():
            try:
                with uow.transaction():
                    if action == "transfer_done":
                        intake.add_file(
                            self._as(actor_id), refund_id, "transfer_proof", "proof.pdf", PDF
                        )
                        transfers.complete_transfer(self._as(actor_id), refund_id, "TRX-1")
                    else:
                        decisions.act(self._as(actor_id), refund_id, action, data)
            except Problem:
                db.session.rollback()
        assert self.app.extensions["jobs"].drain(10)

    @rule(index=st.integers(0, 50), first=st.booleans(), amount=st.none() | st.integers(1, 3000))
    def approve(self, index, first, amount):
        self._do(index, "approve", self.finance_ids[0 if first else 1], amount=amount)

    @rule(index=st.integers(0, 50))
    def reject(self, index):
        self._do(index, "reject", self.finance_ids[0], reason_ar="لا", reason_en="No")

    @rule(index=st.integers(0, 50))
    def transfer_fails(self, index):
        self._do(index, "transfer_failed", self.finance_ids[1], note="Returned by the bank")

    @rule(index=st.integers(0, 50))
    def retry(self, index):
        self._do(index, "retry", self.finance_ids[0])

    @rule(index=st.integers(0, 50))
    def transfer_done(self, index):
        self._do(index, "transfer_done", self.finance_ids[1])

    @rule(index=st.integers(0, 50))
    def withdraw(self, index):
        self._do(index, "withdraw", self.applicant_id)

    @invariant()
    def never_more_than_captured(self):
        with self.app.app_context():
            committed = queries.committed_baisa(self.payment_id)
            assert committed <= 3000, committed


# Committed: each of the many examples deletes the refunds of the last; in one transaction
# PostgreSQL would keep every deleted row until the end, and each step would scan them all.
@pytest.mark.committed
def test_refund_state_machine_keeps_refunds_within_the_payment(app, tmp_path):
    from app.accounts.services import register_applicant
    from app.catalogue.seed import seed_catalogue

    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path)
    app.config["REFUND_SECOND_APPROVAL_BAISA"] = 1500
    try:
        with app.app_context():
            seed_catalogue()
            applicant = register_applicant(applicant_data(), "en")
            service = db.session.scalar(
                sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER")
            )
            application = create_application(applicant, service, {})
            payment = succeeded_payment(
                reference="pay-machine",
                authority_id=application.authority_id,
                application_id=application.id,
                payer_id=applicant.id,
                amount_baisa=3000,
                gateway_intent_id="pi_machine",
            )
            issue_receipt(payment)  # every succeeded payment has its receipt
            db.session.commit()
            RefundMachine.app, RefundMachine.applicant_id, RefundMachine.payment_id = (
                app,
                applicant.id,
                payment.id,
            )
        RefundMachine.finance_ids = [
            make_staff(app, "finance", "NBG", department="finance")["id"] for _ in range(2)
        ]
        RefundMachine.TestCase.settings = settings(
            max_examples=200,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        RefundMachine.TestCase().runTest()
    finally:
        app.config["REFUND_SECOND_APPROVAL_BAISA"] = 100_000
