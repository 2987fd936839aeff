"""What licensing does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent."""

from __future__ import annotations

# --- Branch `pay` only: minimal handlers so that the payments tests pass on this branch. ---------
# The licensing helper writes the real ones on its own branch; the lead takes those at merge.
import sqlalchemy as sa

from app.events import subscribe
from app.extensions import db
from app.notifications.services import notify
from licensing.lifecycle import State
from licensing.models import Application
from licensing.services import SYSTEM, confirm_payment, transition


@subscribe("payment.succeeded")
def confirm_application_payment(payment_id: int, application_id: int) -> str:
    confirm_payment(application_id, commit=False)
    return "confirmed"


@subscribe("payment.window_closed")
def expire_unpaid_application(application_id: int) -> str:
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id).with_for_update()
    )
    if application.state != State.PAYMENT_PENDING:
        return "not waiting for payment"
    transition(application, "expire_unpaid", SYSTEM, commit=False)
    notify(
        application.applicant,
        "payment_expired",
        {
            "reference": application.reference,
            "service_ar": application.service.name_ar,
            "service_en": application.service.name_en,
        },
        subject=("application", application.reference),
        authority_id=application.authority_id,
    )
    return "expired"
