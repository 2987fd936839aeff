"""Applications and refunds written straight into the database with a given SLA clock, for tests
of what is computed over many clocks (reports, stored due dates)."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from app.accounts.models import AccountKind, Role, User
from app.authorities.models import Authority
from app.catalogue.models import Service
from app.extensions import db
from app.sla import SlaClock
from licensing.models import Application
from refunds.models import Refund
from tests.licensing.helpers import put_in_state
from tests.payments.helpers import succeeded_payment

_numbers = itertools.count(1)


def an_applicant() -> User:
    n = next(_numbers)
    user = User(
        kind=AccountKind.INDIVIDUAL,
        role=Role.APPLICANT,
        civil_id=f"7{n:07d}",
        name=f"Applicant {n}",
        email=f"direct{n}@rows.example.om",
        phone="+96890000000",
        password_hash="not-a-hash",
    )
    db.session.add(user)
    db.session.flush()
    return user


def services_of(authority_code: str, count: int) -> list[Service]:
    return list(
        db.session.scalars(
            sa.select(Service)
            .join(Authority, Authority.id == Service.authority_id)
            .where(Authority.code == authority_code)
            .order_by(Service.code)
            .limit(count)
        )
    )


def an_application(applicant: User, service: Service, clock: SlaClock, due=None) -> Application:
    """An application in review (or decided, when the clock stopped) with `clock` as it is."""
    n = next(_numbers)
    application = Application(
        reference=f"TEST-{n:06d}",
        authority_id=service.authority_id,
        service_id=service.id,
        applicant_id=applicant.id,
        family=service.family,
        action=service.action,
        details={},
        fee_baisa=0,
        sla_target_days=clock.target_days or 0,
        sla_unit=clock.unit.value,
        sla_target_minutes=clock.target_minutes,
        required_documents=[],
        submitted_at=clock.started_at,
        last_action_at=clock.started_at,
    )
    application.clock = clock
    application.sla_due_date = due
    db.session.add(application)
    db.session.flush()
    put_in_state(application.id, "approved" if clock.stopped_at else "in_review")
    return application


def a_refund(application: Application, clock: SlaClock, due=None) -> Refund:
    """A refund under review of a paid fee of `application`, with `clock` as it is."""
    n = next(_numbers)
    payment = succeeded_payment(
        reference=f"pay-test-{n}",
        authority_id=application.authority_id,
        application_id=application.id,
        payer_id=application.applicant_id,
        amount_baisa=5000,
        succeeded_at=clock.started_at,
    )
    refund = Refund(
        reference=f"ref-test-{n}",
        authority_id=application.authority_id,
        payment_id=payment.id,
        applicant_id=application.applicant_id,
        requested_by_id=application.applicant_id,
        state="submitted",  # a new row starts so; under review below (a row write, not a step)
        amount_requested=5000,
        reason="duplicate_payment",
        method="card",
        sla_target_days=clock.target_days,
    )
    refund.clock = clock
    refund.sla_due_date = due
    db.session.add(refund)
    db.session.flush()
    db.session.execute(sa.update(Refund).where(Refund.id == refund.id).values(state="under_review"))
    db.session.refresh(refund)
    return refund
