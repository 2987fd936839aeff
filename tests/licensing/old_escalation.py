"""The escalation sweep's finding as it was before it was set-based (until issue 13): every
candidate loaded as ORM objects, its idle days counted by the authority's calendar in Python, one
application at a time. The answer key the set-based sweep must match (tests/licensing), and the
baseline of bench/sweep.py."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.calendar.services import calendar_for
from app.catalogue.models import Service
from app.extensions import db
from app.timeutil import MUSCAT
from licensing.models import Application


def the_old_loop(today: date, limit: int | None = None) -> dict[str, int]:
    """{reference: idle working days} of the applications the old sweep escalated on `today`
    (of the first `limit` candidates, when given)."""
    query = (
        sa.select(Application, Service)
        .join(Service, Application.service_id == Service.id)
        .where(
            Application.state.in_(
                ["submitted", "in_review", "inspection_scheduled", "inspected", "approved"]
            ),
            Service.escalation_days.is_not(None),
            sa.or_(
                Application.escalated_at.is_(None),
                Application.escalated_at < Application.last_action_at,
            ),
        )
    )
    if limit is not None:
        query = query.order_by(Application.id).limit(limit)
    found = {}
    for application, service in db.session.execute(query).all():
        idle = calendar_for(application.authority_id).between(
            application.last_action_at.astimezone(MUSCAT).date(), today
        )
        if idle >= service.escalation_days:
            found[application.reference] = idle
    return found
