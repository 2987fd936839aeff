"""The case lifecycle as data: one `app.workflow.Workflow` for every kind, with per-kind rules.

received → (acknowledged / in_study) → answered → closed. Staff may reassign a case to another
department of the authority (it is received there anew; the clock runs on: the authority's
promise is one), or forward it to another authority (`forwarded`, final here; the receiving
authority gets a case of its own, whose clock starts on receipt). The answer stops the clock.
The person may reopen an answered complaint or ticket within `REOPEN_WINDOW_DAYS` working days,
once (a new clock of the service's target starts on reopening); a second dissatisfaction
escalates it to the department head instead (`escalated`, waiting on staff again).
Which kinds take which actions is `KIND_ACTIONS`; `python -m cases.lifecycle` prints the graph.
"""

from __future__ import annotations

import enum

from app.i18n import N_
from app.workflow import Transition, Workflow, audited, register, transition
from cases import steps
from cases.kinds import Kind
from cases.models import Case


class State(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_STUDY = "in_study"
    ANSWERED = "answered"
    CLOSED = "closed"
    FORWARDED = "forwarded"
    ESCALATED = "escalated"


OPEN = frozenset({State.RECEIVED, State.ACKNOWLEDGED, State.IN_STUDY})
HANDLERS = frozenset({"inspector", "department_head", "admin"})
HEADS = frozenset({"department_head", "admin"})
PERSON = "applicant"  # role_on_record's name for the record's own person
REOPEN_WINDOW_DAYS = 10
NOT_ALLOWED_NOW = N_("This action is not allowed in the case's current state.")

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        transition(
            "acknowledge",
            {State.RECEIVED},
            State.ACKNOWLEDGED,
            HANDLERS,
            notice="case_acknowledged",
        ),
        transition("study", {State.RECEIVED, State.ACKNOWLEDGED}, State.IN_STUDY, HANDLERS),
        transition(
            "reassign",
            OPEN | {State.ESCALATED},
            State.RECEIVED,
            HEADS,
            requires=("department",),
            guards=(steps.other_department,),
            note="received anew by the department; the clock runs on",
        ),
        transition(
            "forward",
            OPEN,
            State.FORWARDED,
            HEADS,
            requires=("authority", "note"),
            sla="stop",
            notice="case_forwarded",
            guards=(steps.other_authority,),
            note="the receiving authority's own case starts its clock on receipt",
        ),
        transition(
            "answer",
            OPEN | {State.ESCALATED},
            State.ANSWERED,
            HANDLERS,
            requires=("answer",),
            sla="stop",
            notice="case_answered",
            guards=(steps.decision_given,),
        ),
        transition("close", {State.ANSWERED}, State.CLOSED, HANDLERS | {PERSON}),
        transition(
            "reopen",
            {State.ANSWERED, State.CLOSED},
            State.IN_STUDY,
            {PERSON},
            requires=("note",),
            guards=(steps.within_reopen_window,),
            note="once; the services escalate a second dissatisfaction instead",
        ),
        transition(
            "escalate",
            {State.ANSWERED, State.CLOSED},
            State.ESCALATED,
            {PERSON},
            requires=("note",),
            guards=(steps.within_reopen_window,),
            effects=(steps.tell_heads,),
            note="a second dissatisfaction: the department head looks again",
        ),
    )
}

# Per-kind rules: the actions each kind takes (an action of the table not listed is 409).
KIND_ACTIONS: dict[str, frozenset[str]] = {
    Kind.COMPLAINT: frozenset(TRANSITIONS),
    Kind.SUGGESTION: frozenset({"acknowledge", "study", "reassign", "forward", "answer", "close"}),
    Kind.COMMENT: frozenset({"acknowledge", "study", "reassign", "forward", "answer", "close"}),
    Kind.INQUIRY: frozenset({"reassign", "forward", "answer", "close"}),
    Kind.TICKET: frozenset(
        {"acknowledge", "study", "reassign", "answer", "close", "reopen", "escalate"}
    ),
}

CASES = register(
    Workflow(
        name="case",
        model=Case,
        states=tuple(s.value for s in State),
        initial=State.RECEIVED.value,
        transitions=TRANSITIONS,
        role_of=steps.caller_role,
        guards=(steps.kind_takes(KIND_ACTIONS),),
        before=(steps.record_fields, steps.move_sla_clock),
        after=(
            steps.write_timeline,
            audited("case", after=steps.audited_fields),
            steps.send_notice,
        ),
        not_allowed=NOT_ALLOWED_NOW,
    )
)


def graph() -> str:
    return CASES.graph()


if __name__ == "__main__":
    print(graph())
