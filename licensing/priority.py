"""The staff-only priority flag of an applicant's open applications (`Application.priority`),
kept in step with the applicant's verified category (app.accounts.priority), which the staff
queue orders by at equal due date (licensing.services.QUEUE_ORDER)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from licensing.lifecycle import FINAL
from licensing.models import Application

HIGHEST_PRIORITY = 1


def priority_of(applicant: User) -> int:
    """The flag a new application of `applicant` starts with."""
    return HIGHEST_PRIORITY if applicant.priority_category else 0


def flag_open_applications(applicant_id: int) -> int:
    """Set the flag of the applicant's open applications from their category as it stands now,
    in one UPDATE (safe to run again). Returns how many rows it wrote."""
    applicant = db.session.get(User, applicant_id)
    if applicant is None:
        return 0
    result = db.session.execute(
        sa.update(Application)
        .where(
            Application.applicant_id == applicant_id,
            Application.state.notin_([s.value for s in FINAL]),
            Application.priority != priority_of(applicant),
        )
        .values(priority=priority_of(applicant))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
