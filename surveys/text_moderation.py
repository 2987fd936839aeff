"""Moderators read a survey's free-text answers and publish or hide each (app.moderation):
nothing of a text is public before it is published; a hidden one stays, with its reason and
its audit rows."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.errors import NotFound
from app.extensions import db
from app.moderation import hide, publish
from surveys.models import SurveyTextAnswer
from surveys.queries import survey_for_staff


def text_answers_query(actor: User, survey_id: int, state: str | None) -> sa.Select:
    """The survey's free-text answers, oldest first (in one moderation state, when given)."""
    survey = survey_for_staff(actor, survey_id)
    query = sa.select(SurveyTextAnswer).where(SurveyTextAnswer.survey_id == survey.id)
    if state:
        query = query.where(SurveyTextAnswer.moderation_state == state)
    return query.order_by(SurveyTextAnswer.id)


def moderate_text_answer(
    actor: User, survey_id: int, answer_id: int, decision: str, reason: str | None
) -> SurveyTextAnswer:
    """Publish or hide one answer (404 another survey's or authority's; 403 a role that does not
    moderate; 409 `moderation_unchanged`; 422 hiding without a reason)."""
    survey = survey_for_staff(actor, survey_id)
    answer = db.session.scalar(
        sa.select(SurveyTextAnswer)
        .where(SurveyTextAnswer.id == answer_id, SurveyTextAnswer.survey_id == survey.id)
        .with_for_update()
    )
    if answer is None:
        raise NotFound()
    subject = {"subject_type": "survey_answer", "subject_id": answer.id}
    if decision == "publish":
        publish(answer, actor, **subject)
    else:
        hide(answer, actor, reason, **subject)
    return answer
