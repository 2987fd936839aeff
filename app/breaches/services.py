"""Recording an explanation of a missed target, and reading them back: the part every kind of
SLA-tracked record shares. The record's package finds the record, checks the caller, writes its
timeline and gives what the applicant's notice names (`licensing.breaches` for applications).
No use case commits: the request's unit of work does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.audit import record_change
from app.breaches.models import BreachExplanation
from app.breaches.rules import is_breached
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.notifications.services import notify
from app.timeutil import MUSCAT, utcnow

LANGUAGES = ("ar", "en")
NOT_BREACHED = N_("This request has not missed its target: there is nothing to explain.")
NOT_RESPONSIBLE = N_(
    "Only the assignee, the head of the service's department or an admin may explain a delay."
)
IN_APPLICANTS_LANGUAGE = {
    "ar": N_("Required: the applicant reads Arabic."),
    "en": N_("Required: the applicant reads English."),
}
BOTH_OR_NEITHER = N_("Give both the reason and what is being done in this language, or neither.")
TEXTS = ("reason", "remedy")
FROM_AFTER_TO = N_("Must not be before `from`.")


@dataclass(frozen=True)
class Subject:
    """The record being explained, as the shared part needs it: `record` is SLA-tracked
    (`sla_status`, `sla_due_date`); `responsible` the ids of whom it names (its assignee) and
    the department whose head answers for it."""

    kind: str  # "application"; the subject type of notices and of the audit log
    record: Any
    reference: str
    authority_id: int
    service_id: int | None
    applicant: User
    assignee_id: int | None
    department_id: int | None
    notice: dict[str, Any]  # what the `breach_explained` notice names besides the texts


def check_responsible(actor: User, subject: Subject) -> None:
    """403 unless the caller answers for the record: its assignee, a department head of its
    service's department, or an admin of its authority (the caller's tenancy is the record
    package's check, before this)."""
    if actor.role == Role.ADMIN or actor.id == subject.assignee_id:
        return
    if actor.role == Role.DEPARTMENT_HEAD and actor.department_id == subject.department_id:
        return
    raise Forbidden(detail=NOT_RESPONSIBLE)


def check_texts(texts: dict[str, str | None], language: str) -> None:
    """The applicant's language is required (the reason and what is being done); the other
    language is both or neither. 422 naming each field."""
    errors: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        given = [name for name in TEXTS if texts.get(f"{name}_{lang}")]
        if lang == language:
            for name in TEXTS:
                if name not in given:
                    errors[f"{name}_{lang}"] = [IN_APPLICANTS_LANGUAGE[lang]]
        elif given and len(given) < len(TEXTS):
            missing = next(name for name in TEXTS if name not in given)
            errors[f"{missing}_{lang}"] = [BOTH_OR_NEITHER]
    if errors:
        raise ValidationFailed(errors)


def record_explanation(
    actor: User, subject: Subject, texts: dict[str, str | None]
) -> BreachExplanation:
    """Record why `subject` missed its target and what is being done, and tell its applicant in
    their language (in-app, e-mail and SMS through the outbox), in the caller's transaction, with
    its audit row. Refused without a change: 403 a caller not responsible (`check_responsible`),
    409 `not_breached` for a record on time, 422 the texts (`check_texts`)."""
    check_responsible(actor, subject)
    now = utcnow()
    if not is_breached(subject.record, now):
        raise Conflict(code="not_breached", detail=NOT_BREACHED)
    language = subject.applicant.preferred_language
    check_texts(texts, language)
    clean = {
        f"{name}_{lang}": texts.get(f"{name}_{lang}") or None
        for name in TEXTS
        for lang in LANGUAGES
    }
    explanation = BreachExplanation(
        authority_id=subject.authority_id,
        subject_type=subject.kind,
        subject_id=subject.record.id,
        reference=subject.reference,
        service_id=subject.service_id,
        due_date=subject.record.sla_due_date,
        author_id=actor.id,
        author_role=actor.role.value,
        language=language,
        created_at=now,
        **clean,
    )
    db.session.add(explanation)
    db.session.flush()
    record_change(
        "breach.explained",
        subject.kind,
        subject.reference,
        authority_id=subject.authority_id,
        after={
            "explanation_id": explanation.id,
            "languages": [lang for lang in LANGUAGES if clean[f"reason_{lang}"]],
            "due_date": explanation.due_date.isoformat() if explanation.due_date else None,
        },
    )
    notify(
        subject.applicant,
        "breach_explained",
        {**subject.notice, **{key: value or "" for key, value in clean.items()}},
        subject=(subject.kind, subject.reference),
        authority_id=subject.authority_id,
    )
    return explanation


def explanations_of(kind: str, record_id: int) -> sa.Select:
    """The explanations of one record, oldest first."""
    return (
        sa.select(BreachExplanation)
        .where(BreachExplanation.subject_type == kind, BreachExplanation.subject_id == record_id)
        .order_by(BreachExplanation.id)
    )


def explanations_between(authority_id: int, first: date | None, last: date | None) -> sa.Select:
    """An authority's explanations recorded from `first` to `last` (Muscat dates, inclusive),
    oldest first. 422 naming `to` when it is before `from`."""
    if first and last and last < first:
        raise ValidationFailed({"to": [FROM_AFTER_TO]})
    query = sa.select(BreachExplanation).where(BreachExplanation.authority_id == authority_id)
    if first:
        query = query.where(BreachExplanation.created_at >= muscat_midnight(first))
    if last:
        query = query.where(
            BreachExplanation.created_at < muscat_midnight(last + timedelta(days=1))
        )
    return query.order_by(BreachExplanation.created_at, BreachExplanation.id)


def muscat_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MUSCAT)
