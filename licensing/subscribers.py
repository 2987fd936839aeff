"""What licensing does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent."""

from __future__ import annotations

from app.events import subscribe
from licensing.expiry import expire_unpaid
from licensing.priority import flag_open_applications
from licensing.services import confirm_payment


@subscribe("payment.succeeded")
def confirm_application_payment(payment_id: int, application_id: int) -> str:
    """The fee is paid: the application, if still waiting for it, moves to review."""
    application = confirm_payment(application_id)
    return f"application {application.id} {application.state}"


@subscribe("payment.window_closed")
def expire_unpaid_application(application_id: int) -> str:
    """Nothing was paid in the window: the application, if still waiting, is cancelled and its
    applicant told (`payment_expired`)."""
    return "expired" if expire_unpaid(application_id) else "left as it is"


@subscribe("applicant.priority_changed")
def flag_priority_applications(applicant_id: int) -> str:
    """A priority category was verified or revoked: the applicant's open applications take
    the flag the staff queue orders by (from the category as it stands when this runs)."""
    return f"{flag_open_applications(applicant_id)} open applications flagged anew"
