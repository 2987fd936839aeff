"""After an application or a refund reaches a final state, its person rates it once, 1 to 5
with a comment; before that, or a second time, 409; nobody else may."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.authorities.models import Department
from app.extensions import db
from app.satisfaction import SatisfactionRating
from licensing.models import Application
from payments.models import Payment
from refunds.models import Refund
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import put_in_state
from tests.surveys.helpers import ok


def _application(app, client, applicant_h, inspector_id) -> dict:
    """A complaint application (no fee), assigned to the inspector."""
    created = ok(
        client.post(
            "/api/v1/applications",
            json={"service": "NBG-COMPLAINT", "details": {"purpose": "Noise at night"}},
            headers=applicant_h,
        ),
        201,
    )
    with app.app_context(), uow.transaction():
        db.session.execute(
            sa.update(Application)
            .where(Application.id == created["id"])
            .values(assignee_id=inspector_id)
        )
    return created


def _finally(app, application_id, state):
    with app.app_context(), uow.transaction():
        put_in_state(application_id, state)


def _rate(client, headers, path, score=4, comment="Handled well"):
    return client.post(path, json={"score": score, "comment": comment}, headers=headers)


@pytest.mark.parametrize("final", ["issued", "rejected", "withdrawn", "cancelled"])
def test_an_applicant_rates_a_closed_application_once(app, client, final):
    applicant, applicant_h = applicant_headers(client)
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    _, stranger = applicant_headers(client)
    created = _application(app, client, applicant_h, inspector["id"])
    path = f"/api/v1/applications/{created['id']}/rating"

    early = _rate(client, applicant_h, path)
    assert early.status_code == 409 and early.get_json()["code"] == "not_closed"
    _finally(app, created["id"], final)
    assert _rate(client, stranger, path).status_code == 404
    assert _rate(client, inspector_h, path).status_code == 403
    assert _rate(client, applicant_h, path, score=6).status_code == 422

    rating = ok(_rate(client, applicant_h, path), 201)
    assert rating == {
        "subject_type": "application",
        "reference": created["reference"],
        "score": 4,
        "comment": "Handled well",
        "rated_at": rating["rated_at"],
    }
    assert rating["rated_at"].endswith("+04:00")
    second = _rate(client, applicant_h, path, score=1)
    assert second.status_code == 409 and second.get_json()["code"] == "already_rated"
    assert ok(client.get(path, headers=inspector_h))["score"] == 4
    assert client.get(path, headers=stranger).status_code == 404

    with app.app_context():
        stored = db.session.scalar(
            sa.select(SatisfactionRating).where(SatisfactionRating.subject_id == created["id"])
        )
        licensing = db.session.scalar(
            sa.select(Department.id)
            .join(User, User.department_id == Department.id)
            .where(User.id == inspector["id"])
        )
        application = db.session.get(Application, created["id"])
        assert (stored.person_id, stored.service_id, stored.department_id) == (
            applicant["id"],
            application.service_id,
            licensing,
        )


def _refund(app, applicant_id, application_id) -> int:
    """A refund of the application's payment, as the tables hold it once it is submitted."""
    with app.app_context(), uow.transaction():
        application = db.session.get(Application, application_id)
        payment = Payment(
            reference=f"PAY-{application_id}",
            authority_id=application.authority_id,
            application_id=application_id,
            payer_id=applicant_id,
            amount_baisa=5_000,
            state="pending",
        )
        db.session.add(payment)
        db.session.flush()
        refund = Refund(
            reference=f"REF-{application_id}",
            authority_id=application.authority_id,
            payment_id=payment.id,
            applicant_id=applicant_id,
            requested_by_id=applicant_id,
            state="submitted",
            amount_requested=5_000,
            reason="duplicate_payment",
            method="card",
            sla_target_days=5,
        )
        db.session.add(refund)
        db.session.flush()
        return refund.id


def _refund_in(app, refund_id, state):
    with app.app_context(), uow.transaction():
        db.session.execute(sa.update(Refund).where(Refund.id == refund_id).values(state=state))


def test_the_payer_rates_a_refund_once_it_is_refunded_rejected_or_withdrawn(app, client):
    applicant, applicant_h = applicant_headers(client)
    inspector, _ = staff_headers(app, client, "inspector", "NBG")
    _, stranger = applicant_headers(client)
    created = _application(app, client, applicant_h, inspector["id"])
    refund_id = _refund(app, applicant["id"], created["id"])
    path = f"/api/v1/refunds/{refund_id}/rating"

    for state in ("submitted", "under_review", "approved", "processing", "failed"):
        _refund_in(app, refund_id, state)
        refused = _rate(client, applicant_h, path)
        assert refused.status_code == 409 and refused.get_json()["code"] == "not_closed", state
    _refund_in(app, refund_id, "refunded")
    assert _rate(client, stranger, path).status_code == 404
    rating = ok(_rate(client, applicant_h, path, score=2, comment="Slow"), 201)
    assert (rating["subject_type"], rating["reference"], rating["score"]) == (
        "refund",
        f"REF-{created['id']}",
        2,
    )
    assert _rate(client, applicant_h, path).get_json()["code"] == "already_rated"
    with app.app_context():
        stored = db.session.scalar(
            sa.select(SatisfactionRating).where(SatisfactionRating.subject_type == "refund")
        )
        assert stored.service_id == db.session.get(Application, created["id"]).service_id
        assert stored.department_id is None  # nobody approved it: no department to count it under
