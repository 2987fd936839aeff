"""A survey's results per question: counts per option, the scale's distribution and mean, the
number of respondents, and the free-text answers (published ones only, but for the staff).

Who sees them: the staff of the survey's authority always; whoever may see the survey once a
public survey has ended, or at any time where `results_public` is set.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.errors import Forbidden
from app.extensions import db
from app.i18n import N_
from app.timeutil import utcnow
from surveys.lifecycle import State
from surveys.models import (
    Audience,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyTextAnswer,
)
from surveys.queries import has_ended, is_staff_of, survey_for

NOT_PUBLIC_YET = N_("The results are published when the survey ends.")
SCALE = range(1, 6)


def results_for(actor: User | None, survey_id: int) -> dict[str, Any]:
    """The results if the caller may read them: 404 a survey the caller may not see, 403
    `results_not_public` one whose results are not public (yet)."""
    survey = survey_for(actor, survey_id)
    staff = is_staff_of(actor, survey)
    if not staff and not results_are_public(survey):
        raise Forbidden(code="results_not_public", detail=NOT_PUBLIC_YET)
    return survey_results(survey, with_unpublished_text=staff)


def results_are_public(survey: Survey) -> bool:
    if survey.state == State.DRAFT:
        return False
    ended_in_public = survey.audience == Audience.PUBLIC and has_ended(survey, utcnow())
    return survey.results_public or ended_in_public


def survey_results(survey: Survey, *, with_unpublished_text: bool) -> dict[str, Any]:
    """Counted in three statements: respondents, chosen options and scale values, texts."""
    respondents = db.session.scalar(
        sa.select(sa.func.count()).where(SurveyResponse.survey_id == survey.id)
    )
    question_ids = [q.id for q in survey.questions]
    counted = db.session.execute(
        sa.select(
            SurveyAnswer.question_id,
            SurveyAnswer.option_id,
            SurveyAnswer.scale,
            sa.func.count(),
        )
        .where(SurveyAnswer.question_id.in_(question_ids))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.scale)
    ).all()
    # Respondents per question: a multiple choice has a row per option chosen, a text
    # question's answers count whatever their moderation.
    answered = dict(
        db.session.execute(
            sa.select(
                SurveyAnswer.question_id, sa.func.count(sa.distinct(SurveyAnswer.response_id))
            )
            .where(SurveyAnswer.question_id.in_(question_ids))
            .group_by(SurveyAnswer.question_id)
            .union_all(
                sa.select(SurveyTextAnswer.question_id, sa.func.count())
                .where(SurveyTextAnswer.survey_id == survey.id)
                .group_by(SurveyTextAnswer.question_id)
            )
        ).all()
    )
    texts = text_answers(survey.id, published_only=not with_unpublished_text)
    counts: Counter = Counter()
    for question_id, option_id, scale, count in counted:
        counts[(question_id, option_id, scale)] = count
    return {
        "survey_id": survey.id,
        "state": survey.state,
        "respondents": respondents,
        "questions": [_question(q, counts, answered, texts) for q in survey.questions],
    }


def text_answers(survey_id: int, *, published_only: bool) -> list[SurveyTextAnswer]:
    query = sa.select(SurveyTextAnswer).where(SurveyTextAnswer.survey_id == survey_id)
    if published_only:
        query = query.where(SurveyTextAnswer.shown_publicly())
    return list(db.session.scalars(query.order_by(SurveyTextAnswer.id)))


def _question(
    question: SurveyQuestion,
    counts: Counter,
    answered: dict[int, int],
    texts: list[SurveyTextAnswer],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": question.id,
        "position": question.position,
        "kind": question.kind,
        "text_ar": question.text_ar,
        "text_en": question.text_en,
        "answered": answered.get(question.id, 0),
    }
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        result["options"] = [
            {
                "id": o.id,
                "text_ar": o.text_ar,
                "text_en": o.text_en,
                "count": counts[(question.id, o.id, None)],
            }
            for o in question.options
        ]
    elif question.kind == QuestionKind.SCALE:
        distribution = {str(v): counts[(question.id, None, v)] for v in SCALE}
        result["distribution"] = distribution
        result["mean"] = mean_of(distribution)
    else:
        result["text_answers"] = [t for t in texts if t.question_id == question.id]
    return result


def mean_of(distribution: dict[str, int]) -> float | None:
    """The mean of a 1–5 distribution, two decimals; None with nothing in it."""
    total = sum(distribution.values())
    if not total:
        return None
    return round(sum(int(v) * n for v, n in distribution.items()) / total, 2)
