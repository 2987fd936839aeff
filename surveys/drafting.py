"""Staff write a survey: create it as a draft, change the draft, publish and close it."""

from __future__ import annotations

from typing import Any

from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.workflow import fire
from surveys.lifecycle import EDITORS, State
from surveys.models import Survey, SurveyOption, SurveyQuestion
from surveys.queries import survey_for_staff

CLOSES_BEFORE_OPENS = N_("The close time must be after the open time.")
NOT_A_DRAFT = N_("A survey cannot be changed once it is published.")
PLAIN_FIELDS = (
    "kind",
    "audience",
    "title_ar",
    "title_en",
    "description_ar",
    "description_en",
    "opens_at",
    "closes_at",
    "results_public",
)


def create_survey(actor: User, data: dict[str, Any]) -> Survey:
    """A draft survey of the caller's authority with the questions given (none is allowed in a
    draft). Raises ValidationFailed naming `closes_at` when it is not after `opens_at`."""
    if actor.role.value not in EDITORS:
        raise Forbidden()
    survey = Survey(
        authority_id=actor.authority_id, created_by_id=actor.id, state=State.DRAFT.value
    )
    _write(survey, data)
    db.session.add(survey)
    db.session.flush()
    record_change(
        "survey.create", "survey", survey.id, authority_id=survey.authority_id, after=_facts(survey)
    )
    return survey


def update_draft(actor: User, survey_id: int, data: dict[str, Any]) -> Survey:
    """Change a draft (the fields given; `questions` replaces them all); 409 `survey_not_draft`
    once it is published: nobody's answer may then refer to a question that changed."""
    survey = survey_for_staff(actor, survey_id, lock=True)
    if actor.role.value not in EDITORS:
        raise Forbidden()
    if survey.state != State.DRAFT:
        raise Conflict(code="survey_not_draft", detail=NOT_A_DRAFT)
    before = _facts(survey)
    _write(survey, data)
    db.session.flush()
    record_change(
        "survey.update",
        "survey",
        survey.id,
        authority_id=survey.authority_id,
        before=before,
        after=_facts(survey),
    )
    return survey


def take_action(actor: User, survey_id: int, action: str) -> Survey:
    """`publish` or `close` through the survey workflow (404 another action, 403 a role the
    table does not name, 409 from the wrong state or publishing without a question)."""
    survey = survey_for_staff(actor, survey_id, lock=True)
    fire(survey, action, actor)
    return survey


def _write(survey: Survey, data: dict[str, Any]) -> None:
    for name in PLAIN_FIELDS:
        if name in data:
            setattr(survey, name, data[name])
    if survey.opens_at and survey.closes_at and survey.closes_at <= survey.opens_at:
        raise ValidationFailed({"closes_at": [CLOSES_BEFORE_OPENS]})
    if "questions" in data:
        survey.questions = [
            SurveyQuestion(
                position=n,
                kind=q["kind"],
                text_ar=q["text_ar"],
                text_en=q["text_en"],
                required=q["required"],
                options=[
                    SurveyOption(position=m, text_ar=o["text_ar"], text_en=o["text_en"])
                    for m, o in enumerate(q["options"], start=1)
                ],
            )
            for n, q in enumerate(data["questions"], start=1)
        ]


def _facts(survey: Survey) -> dict[str, Any]:
    """What the audit row keeps of a survey: its fields and its questions as they were."""
    return {
        **{name: _plain(getattr(survey, name)) for name in PLAIN_FIELDS},
        "questions": [
            {
                "kind": q.kind,
                "text_ar": q.text_ar,
                "text_en": q.text_en,
                "required": q.required,
                "options": [[o.text_ar, o.text_en] for o in q.options],
            }
            for q in survey.questions
        ],
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
