"""Surveys as people may see them: who sees which survey, the lists, and whether a survey is
taking answers or has ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.authorities.models import Authority
from app.errors import NotFound
from app.extensions import db
from surveys.lifecycle import State, role_of
from surveys.models import Audience, Survey, SurveyQuestion


def is_staff_of(actor: User | None, survey: Survey) -> bool:
    return (
        actor is not None
        and actor.role != Role.APPLICANT
        and actor.authority_id == survey.authority_id
    )


def may_see(actor: User | None, survey: Survey) -> bool:
    """Staff of its authority see every survey of it; everyone else a published one, an
    account-only one only when signed in."""
    if is_staff_of(actor, survey):
        return True
    if survey.state == State.DRAFT:
        return False
    return survey.audience == Audience.PUBLIC or actor is not None


def accepting_answers(survey: Survey, now: dt.datetime) -> bool:
    """Open, and `now` within its open and close times (either may be left out)."""
    return (
        survey.state == State.OPEN
        and (survey.opens_at is None or survey.opens_at <= now)
        and (survey.closes_at is None or now < survey.closes_at)
    )


def has_ended(survey: Survey, now: dt.datetime) -> bool:
    """Closed, or open past its close time (a close time passed ends it, whether or not anyone
    took the `close` step)."""
    if survey.state == State.CLOSED:
        return True
    return survey.state == State.OPEN and survey.closes_at is not None and now >= survey.closes_at


def survey_for(actor: User | None, survey_id: int, *, lock: bool = False) -> Survey:
    """The survey if the caller may see it; else 404 (a draft or an account-only survey is
    never hinted at)."""
    query = (
        sa.select(Survey)
        .where(Survey.id == survey_id)
        .options(selectinload(Survey.questions).selectinload(SurveyQuestion.options))
    )
    survey = db.session.scalar(query.with_for_update(of=Survey) if lock else query)
    if survey is None or not may_see(actor, survey):
        raise NotFound()
    return survey


def survey_for_staff(actor: User, survey_id: int, *, lock: bool = False) -> Survey:
    """The survey if the caller is staff of its authority; else 404."""
    survey = survey_for(actor, survey_id, lock=lock)
    role_of(survey, actor)
    return survey


def surveys_query(actor: User | None, filters: dict[str, Any]) -> sa.Select:
    """Staff: every survey of their authority. Others: the published ones they may see (the
    account-only ones when signed in). Newest first."""
    query = sa.select(Survey)
    if actor is not None and actor.role != Role.APPLICANT:
        query = query.where(Survey.authority_id == actor.authority_id)
    else:
        query = query.where(Survey.state != State.DRAFT.value)
        if actor is None:
            query = query.where(Survey.audience == Audience.PUBLIC.value)
    if filters.get("authority"):
        query = query.join(Authority, Authority.id == Survey.authority_id).where(
            Authority.code == filters["authority"]
        )
    if filters.get("kind"):
        query = query.where(Survey.kind == filters["kind"])
    if filters.get("state"):
        query = query.where(Survey.state == filters["state"])
    return query.options(
        selectinload(Survey.authority),
        selectinload(Survey.questions).selectinload(SurveyQuestion.options),
    ).order_by(Survey.id.desc())
