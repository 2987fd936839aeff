"""Satisfaction ratings of applications and refunds (app.satisfaction): once the record is in a
final state, its person rates it once, 1 to 5 with a comment.

The record is read through its own package's read function (which answers 404 to whoever may
not see it); who may rate and when is decided here, the rating itself by `rate()`. A rating is
counted under the record's authority and service, and under the department of the staff member
who handled it (an application's assignee, a refund's first approver) where there is one.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import N_
from app.satisfaction import SatisfactionRating, rate
from licensing.lifecycle import FINAL
from licensing.services import get_application
from refunds import states as refund_states
from refunds.queries import get_refund

NOT_CLOSED = N_("This can be rated once it is closed.")


def rate_application(
    actor: User, application_id: int, score: int, comment: str | None
) -> SatisfactionRating:
    """The applicant rates their application once it is issued, rejected, withdrawn or
    cancelled (409 `not_closed` before, `already_rated` a second time; 404 another's)."""
    application = get_application(actor, application_id)
    if application.applicant_id != actor.id:
        raise NotFound()
    if application.state not in FINAL:
        raise Conflict(code="not_closed", detail=NOT_CLOSED, extra={"state": application.state})
    return rate(
        "application",
        application.id,
        application.reference,
        person_id=actor.id,
        authority_id=application.authority_id,
        service_id=application.service_id,
        department_id=_department_of(application.assignee_id),
        score=score,
        comment=comment,
    )


def rate_refund(actor: User, refund_id: int, score: int, comment: str | None) -> SatisfactionRating:
    """The payer rates their refund once it is refunded, rejected or withdrawn (a failed one
    may still be retried: not yet)."""
    refund = get_refund(actor, refund_id)
    if refund.applicant_id != actor.id:
        raise NotFound()
    if refund.state not in refund_states.CLOSED:
        raise Conflict(code="not_closed", detail=NOT_CLOSED, extra={"state": refund.state})
    return rate(
        "refund",
        refund.id,
        refund.reference,
        person_id=actor.id,
        authority_id=refund.authority_id,
        service_id=refund.payment.application.service_id,
        department_id=_department_of(refund.first_approver_id),
        score=score,
        comment=comment,
    )


def application_rating(actor: User, application_id: int) -> SatisfactionRating:
    """The rating of an application the caller may see (404 none yet)."""
    application = get_application(actor, application_id)
    return _rating_of("application", application.id)


def refund_rating(actor: User, refund_id: int) -> SatisfactionRating:
    refund = get_refund(actor, refund_id)
    return _rating_of("refund", refund.id)


def _rating_of(subject_type: str, subject_id: int) -> SatisfactionRating:
    rating = db.session.scalar(
        sa.select(SatisfactionRating).where(
            SatisfactionRating.subject_type == subject_type,
            SatisfactionRating.subject_id == subject_id,
        )
    )
    if rating is None:
        raise NotFound()
    return rating


def _department_of(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return db.session.scalar(sa.select(User.department_id).where(User.id == user_id))
