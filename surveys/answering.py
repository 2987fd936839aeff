"""A person answers a survey: once per account, while it takes answers, each answer checked
against its question's kind."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.maintenance.hooks import refuse_writes_on_record
from app.timeutil import utcnow
from surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyTextAnswer,
)
from surveys.queries import accepting_answers, survey_for

ALREADY_ANSWERED = N_("You have already answered this survey; each account answers once.")
NOT_OPEN = N_("This survey is not taking answers now.")
NO_SUCH_QUESTION = N_("This survey has no such question.")
REQUIRED = N_("Answer this question; it is required.")
EXPECTED = {
    QuestionKind.SINGLE: N_("Choose one of this question's options (`option_ids`, one id)."),
    QuestionKind.MULTIPLE: N_(
        "Choose one or more of this question's options (`option_ids`), each once."
    ),
    QuestionKind.SCALE: N_("Give `scale`, a whole number from 1 to 5."),
    QuestionKind.TEXT: N_("Write the answer in `text`."),
}
# The member of an answer each kind reads; an answer naming another one is refused.
MEMBER = {
    QuestionKind.SINGLE: "option_ids",
    QuestionKind.MULTIPLE: "option_ids",
    QuestionKind.SCALE: "scale",
    QuestionKind.TEXT: "text",
}


def answer_survey(
    actor: User, survey_id: int, answers: dict[str, dict[str, Any]]
) -> SurveyResponse:
    """Record the caller's answers. Refusals: 404 a survey the caller may not see; 409
    `survey_not_open` outside its state or times; 409 `already_answered` for a second response of
    the account (the unique constraint decides under a race); 422 naming `answers.<question id>`
    for each missing or wrong answer."""
    survey = survey_for(actor, survey_id)
    # Applicants belong to no authority: the request hook cannot tell whose maintenance stops
    # their write, the survey's authority does.
    refuse_writes_on_record(survey.authority_id)
    if not accepting_answers(survey, utcnow()):
        raise Conflict(code="survey_not_open", detail=NOT_OPEN)
    if _answered(survey.id, actor.id):
        raise Conflict(code="already_answered", detail=ALREADY_ANSWERED)
    chosen = _checked(survey, answers)
    response = SurveyResponse(survey_id=survey.id, person_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except sa.exc.IntegrityError:
        raise Conflict(code="already_answered", detail=ALREADY_ANSWERED) from None
    for question, value in chosen:
        db.session.add_all(_rows(survey, response, question, value))
    return response


def _answered(survey_id: int, person_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(SurveyResponse.id).where(
                SurveyResponse.survey_id == survey_id, SurveyResponse.person_id == person_id
            )
        )
        is not None
    )


def _checked(
    survey: Survey, answers: dict[str, dict[str, Any]]
) -> list[tuple[SurveyQuestion, Any]]:
    """Each answered question with its value (option ids, a scale value or a text); every
    problem at once, by question."""
    errors: dict[str, list[str]] = {}
    by_id = {str(q.id): q for q in survey.questions}
    for key in answers.keys() - by_id.keys():
        errors[f"answers.{key}"] = [NO_SUCH_QUESTION]
    chosen = []
    for key, question in by_id.items():
        kind = QuestionKind(question.kind)
        given = {k: v for k, v in answers.get(key, {}).items() if v is not None}
        value = given.pop(MEMBER[kind], None)
        if kind == QuestionKind.TEXT and value is not None:
            value = value.strip() or None
        if value is None and not given:
            if question.required:
                errors[f"answers.{key}"] = [REQUIRED]
            continue
        if given or not _fits(question, kind, value):
            errors[f"answers.{key}"] = [EXPECTED[kind]]
            continue
        chosen.append((question, value))
    if errors:
        raise ValidationFailed(errors)
    return chosen


def _fits(question: SurveyQuestion, kind: QuestionKind, value: Any) -> bool:
    if kind == QuestionKind.SCALE:
        return value in range(1, 6)
    if kind == QuestionKind.TEXT:
        return True
    options = {o.id for o in question.options}
    distinct = len(set(value)) == len(value)
    count_fits = len(value) == 1 if kind == QuestionKind.SINGLE else len(value) >= 1
    return distinct and count_fits and set(value) <= options


def _rows(survey: Survey, response: SurveyResponse, question: SurveyQuestion, value: Any):
    if question.kind == QuestionKind.TEXT:
        return [
            SurveyTextAnswer(
                response_id=response.id,
                question_id=question.id,
                survey_id=survey.id,
                authority_id=survey.authority_id,
                text=value,
            )
        ]
    if question.kind == QuestionKind.SCALE:
        return [SurveyAnswer(response_id=response.id, question_id=question.id, scale=value)]
    return [
        SurveyAnswer(response_id=response.id, question_id=question.id, option_id=option_id)
        for option_id in value
    ]
