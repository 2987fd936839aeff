"""The application lifecycle as data: states, and the one table of allowed transitions.

Each transition names the states it leaves, the state it reaches, who may take it ("applicant"
means the applicant who owns the application; "system" is our own code, e.g. payment
confirmation), the fields it needs, its guards, what it does to the SLA clock, and the notice it
sends. The table is an `app.workflow.Workflow` (`APPLICATIONS`): `fire()` checks it and is the
only writer of `Application.state`. `python -m licensing.lifecycle` prints the graph.
"""

from __future__ import annotations

import enum

from app.breaches.rules import explanation_before
from app.i18n import N_
from app.workflow import SYSTEM, Transition, Workflow, audited, register, transition
from licensing import steps
from licensing.models import Application


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PAYMENT_PENDING = "payment_pending"
    IN_REVIEW = "in_review"
    INSPECTION_SCHEDULED = "inspection_scheduled"
    INSPECTED = "inspected"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    ISSUED = "issued"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


FINAL = frozenset({State.ISSUED, State.REJECTED, State.WITHDRAWN, State.CANCELLED})
OPEN_BEFORE_DECISION = frozenset(
    {
        State.SUBMITTED,
        State.PAYMENT_PENDING,
        State.IN_REVIEW,
        State.INSPECTION_SCHEDULED,
        State.INSPECTED,
        State.INFO_REQUESTED,
    }
)
REVIEWERS = frozenset({"inspector", "department_head"})
# The actions that decide an application. On one that missed its target they wait until the
# staff have said why and what is being done (issue 15): the workflow's one guard below,
# 409 `breach_explanation_required` (app.breaches.rules).
DECIDING = ("approve", "issue", "reject")
NOT_ALLOWED_NOW = N_("This action is not allowed in the application's current state.")

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        transition(
            "submit",
            {State.DRAFT},
            State.SUBMITTED,
            {"applicant"},
            sla="start",
            notice="submitted",
            guards=(steps.documents_present,),
            effects=(steps.request_fee,),
            note="with a fee due the system's request_payment follows at once",
        ),
        # Submitted with a fee due: the system asks for the payment at once (the applicant is told
        # of the fee, not yet of the expected date); the clock starts when the payment is in.
        transition(
            "request_payment",
            {State.SUBMITTED},
            State.PAYMENT_PENDING,
            {SYSTEM},
            notice="payment_due",
        ),
        transition(
            "confirm_payment",
            {State.PAYMENT_PENDING},
            State.IN_REVIEW,
            {SYSTEM},
            sla="start",
            notice="submitted",
        ),
        transition(
            "start_review", {State.SUBMITTED}, State.IN_REVIEW, REVIEWERS, notice="review_started"
        ),
        transition(
            "schedule_inspection",
            {State.IN_REVIEW},
            State.INSPECTION_SCHEDULED,
            REVIEWERS,
            requires=("inspection_date",),
            notice="inspection_scheduled",
            guards=(steps.inspection_not_past,),
        ),
        transition(
            "record_inspection",
            {State.INSPECTION_SCHEDULED},
            State.INSPECTED,
            {"inspector"},
            requires=("note",),
            notice="inspection_recorded",
        ),
        transition(
            "request_info",
            {State.IN_REVIEW, State.INSPECTED},
            State.INFO_REQUESTED,
            REVIEWERS,
            requires=("note",),
            sla="pause",
            notice="info_requested",
        ),
        transition(
            "answer",
            {State.INFO_REQUESTED},
            State.IN_REVIEW,
            {"applicant"},
            requires=("note",),
            sla="resume",
            notice="answer_received",
        ),
        transition(
            "approve",
            {State.IN_REVIEW, State.INSPECTED},
            State.APPROVED,
            REVIEWERS,
            sla="stop",
            notice="approved",
        ),
        transition(
            "issue",
            {State.APPROVED},
            State.ISSUED,
            {"department_head", "admin"},
            notice="licence_issued",
            note="a register service writes the licence (licensing.register)",
        ),
        transition(
            "reject",
            OPEN_BEFORE_DECISION - {State.PAYMENT_PENDING},
            State.REJECTED,
            REVIEWERS,
            requires=("reason_ar", "reason_en"),
            sla="stop",
            notice="rejected",
        ),
        transition(
            "withdraw",
            OPEN_BEFORE_DECISION | {State.DRAFT},
            State.WITHDRAWN,
            {"applicant"},
            sla="stop",
            notice="withdrawn",
        ),
        transition(
            "cancel",
            OPEN_BEFORE_DECISION | {State.APPROVED},
            State.CANCELLED,
            {"department_head", "admin"},
            requires=("note",),
            sla="stop",
            notice="application_cancelled",
        ),
        # Unpaid applications lapse after the configured number of days: payments reports the
        # window closed (`payment.window_closed`), and licensing's handler sends `payment_expired`.
        transition("expire_unpaid", {State.PAYMENT_PENDING}, State.CANCELLED, {SYSTEM}),
    )
}

APPLICATIONS = register(
    Workflow(
        name="application",
        model=Application,
        states=tuple(s.value for s in State),
        initial=State.DRAFT.value,
        transitions=TRANSITIONS,
        role_of=steps.caller_role,
        guards=(explanation_before(DECIDING),),
        before=(steps.record_fields, steps.move_sla_clock),
        after=(steps.write_timeline, audited("application"), steps.send_notice),
        not_allowed=NOT_ALLOWED_NOW,
    )
)


def notice_of(
    action: str, target: State, application_action: str, keeps_licence: bool
) -> str | None:
    """The notice a step sends: the table's, except where the outcome decides it."""
    if action == "issue" and not keeps_licence:
        return "application_completed"  # a service with no register entry is done
    if action == "issue" and application_action == "cancel":
        return "licence_cancelled"
    return TRANSITIONS[action].notice


def graph() -> str:
    rule = f"on a breached application {', '.join(DECIDING)} need a breach explanation first"
    return f"{APPLICATIONS.graph()}\n\n{rule} (409 breach_explanation_required)"


if __name__ == "__main__":
    print(graph())
