"""Breach explanations of applications (issue 15): the staff answering for a late application
say why and what is being done (`app.breaches`), the applicant is told, and the timeline shows
it. The deciding actions wait for it: `licensing.lifecycle` lists `explanation_before` once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.breaches.models import BreachExplanation
from app.breaches.services import Subject, explanations_of, record_explanation
from app.errors import NotFound
from app.extensions import db
from licensing.models import Application, ApplicationEvent
from licensing.steps import caller_role

KIND = "application"  # the subject type of the explanations, notices and audit rows
TIMELINE_ACTION = "explain_breach"


def explain_breach(actor: User, application_id: int, texts: dict[str, Any]) -> BreachExplanation:
    """Record why the application missed its target and what is being done (see
    `app.breaches.services.record_explanation`: 403 not its assignee, its department's head or
    an admin; 409 `not_breached`; 422 the applicant's language missing), with its timeline
    entry, in the caller's unit of work. 404 for anyone who may not see the application; an
    applicant may read, not write (403)."""
    application = db.session.execute(
        sa.select(Application)
        .where(Application.id == application_id)
        .options(
            joinedload(Application.service),
            joinedload(Application.authority),
            joinedload(Application.applicant),
        )
        .with_for_update(of=Application)
    ).scalar_one_or_none()
    if application is None:
        raise NotFound()
    caller_role(application, actor)
    explanation = record_explanation(actor, subject_of(application), texts)
    note = getattr(explanation, f"reason_{explanation.language}")
    ApplicationEvent.add(
        actor,
        TIMELINE_ACTION,
        application.state,
        application.state,
        note,
        application_id=application.id,
    )
    return explanation


def subject_of(application: Application) -> Subject:
    service = application.service
    return Subject(
        kind=KIND,
        record=application,
        reference=application.reference,
        authority_id=application.authority_id,
        service_id=application.service_id,
        applicant=application.applicant,
        assignee_id=application.assignee_id,
        department_id=service.department_id,
        notice={
            "reference": application.reference,
            "service_ar": service.name_ar,
            "service_en": service.name_en,
            "due_date": application.sla_due_date.isoformat() if application.sla_due_date else "",
        },
    )


def breach_explanations_query(actor: User, application_id: int) -> sa.Select:
    """The application's explanations, oldest first, for its applicant or staff of its
    authority (404 otherwise); the answer's schema shows an applicant their language only."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound()
    caller_role(application, actor)
    return explanations_of(KIND, application.id)
