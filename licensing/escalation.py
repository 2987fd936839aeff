"""Escalation (Al Buraimi's SLA): when the responsible staff take no action on an application for
the service's `escalation_days` working days, whoever the service names (the department head by
default) is told in-app, by e-mail and by SMS. Once per idle spell: any action starts a new one."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.audit import record_change
from app.calendar.services import calendar_for
from app.catalogue.models import Service
from app.extensions import db
from app.notifications.services import notify
from app.timeutil import MUSCAT, utcnow
from licensing.lifecycle import State
from licensing.models import Application

log = logging.getLogger(__name__)
# States in which the next move is the staff's (not the applicant's, not the payer's).
WAITING_ON_STAFF = (
    State.SUBMITTED,
    State.IN_REVIEW,
    State.INSPECTION_SCHEDULED,
    State.INSPECTED,
    State.APPROVED,
)


def escalate_idle_applications() -> int:
    """Periodic: escalate every application idle past its service's threshold, in the job's unit
    of work. Returns how many."""
    now = utcnow()
    today = now.astimezone(MUSCAT).date()
    candidates = db.session.execute(
        sa.select(Application, Service)
        .join(Service, Application.service_id == Service.id)
        .where(
            Application.state.in_([s.value for s in WAITING_ON_STAFF]),
            Service.escalation_days.is_not(None),
            sa.or_(
                Application.escalated_at.is_(None),
                Application.escalated_at < Application.last_action_at,
            ),
        )
    ).all()
    escalated = 0
    for application, service in candidates:
        idle = calendar_for(application.authority_id).between(
            application.last_action_at.astimezone(MUSCAT).date(), today
        )
        if idle < service.escalation_days:
            continue
        role = Role(service.escalate_to or Role.DEPARTMENT_HEAD.value)
        recipients = db.session.scalars(
            sa.select(User).where(
                User.authority_id == application.authority_id, User.role == role, User.is_active
            )
        )
        context = {
            "reference": application.reference,
            "service_ar": service.name_ar,
            "service_en": service.name_en,
            "idle_days": idle,
            "assignee": application.assignee.name if application.assignee else "—",
        }
        told = 0
        for recipient in recipients:
            notify(
                recipient,
                "escalation",
                context,
                subject=("application", application.reference),
                authority_id=application.authority_id,
            )
            told += 1
        application.escalated_at = now
        record_change(
            "application.escalated",
            "application",
            application.reference,
            authority_id=application.authority_id,
            after={"idle_days": idle, "recipients": told},
        )
        escalated += 1
    if escalated:
        log.info("applications escalated", extra={"count": escalated})
    return escalated
