"""The survey's lifecycle as data: draft → open → closed, on the one workflow engine.

A draft is edited freely by its authority's department heads and admins; `publish` opens it
(with at least one question; nothing of its questions changes after that); `close` ends it.
Each step is an audit row (`survey.publish`, `survey.close`). `python -m surveys.lifecycle`
prints the graph.
"""

from __future__ import annotations

import enum

from app.accounts.models import Role, User
from app.errors import Conflict, NotFound
from app.i18n import N_
from app.workflow import SYSTEM, Step, Workflow, audited, register, transition
from surveys.models import Survey

EDITORS = frozenset({Role.DEPARTMENT_HEAD.value, Role.ADMIN.value})
NO_QUESTIONS = N_("Add at least one question before publishing the survey.")
NOT_ALLOWED_NOW = N_("This action is not allowed in the survey's current state.")


class State(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


def role_of(survey: Survey, actor: User | str) -> str:
    """Staff of the survey's authority act in their role; anyone else may not see the draft
    or act on it (404)."""
    if actor == SYSTEM:
        return SYSTEM
    if actor.role == Role.APPLICANT or actor.authority_id != survey.authority_id:
        raise NotFound()
    return actor.role.value


def has_questions(step: Step) -> None:
    if not step.record.questions:
        raise Conflict(code="survey_without_questions", detail=NO_QUESTIONS)


def stamp(step: Step) -> None:
    if step.action == "publish":
        step.record.published_at = step.now
    elif step.action == "close":
        step.record.closed_at = step.now


TRANSITIONS = {
    t.action: t
    for t in (
        transition(
            "publish",
            {State.DRAFT},
            State.OPEN,
            EDITORS,
            guards=(has_questions,),
            note="answers are taken between opens_at and closes_at",
        ),
        # No sweep closes a survey at its close time: past it, answers are refused and the
        # survey counts as ended (surveys.queries.has_ended) whether or not it was closed.
        transition("close", {State.OPEN}, State.CLOSED, EDITORS),
    )
}

SURVEYS = register(
    Workflow(
        name="survey",
        model=Survey,
        states=tuple(s.value for s in State),
        initial=State.DRAFT.value,
        transitions=TRANSITIONS,
        role_of=role_of,
        before=(stamp,),
        after=(audited("survey", subject_id=lambda survey: survey.id),),
        not_allowed=NOT_ALLOWED_NOW,
    )
)


if __name__ == "__main__":
    print(SURVEYS.graph())
