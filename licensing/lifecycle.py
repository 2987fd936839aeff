"""The application lifecycle as data: states, and the one table of allowed transitions.

Each transition names the states it leaves, the state it reaches, who may take it ("applicant"
means the applicant who owns the application; "system" is our own code, e.g. payment
confirmation), the fields it needs, what it does to the SLA clock, and the notice it sends.
`python -m licensing.lifecycle` prints the graph.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    sla: str | None = None  # start, pause, resume, stop
    # The notification event. Where the outcome decides, `notice_of` says: issuing completes a
    # service with no register entry, and a cancellation's issue tells of the cancelled licence.
    notice: str | None = None


def _t(action, sources, target, roles, requires=(), sla=None, notice=None) -> Transition:
    return Transition(
        action, frozenset(sources), target, frozenset(roles), tuple(requires), sla, notice
    )


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t(
            "submit", {State.DRAFT}, State.SUBMITTED, {"applicant"}, sla="start", notice="submitted"
        ),
        # Submitted with a fee due: the system asks for the payment at once (the applicant is told
        # of the fee, not yet of the expected date); the clock starts when the payment is in.
        _t(
            "request_payment",
            {State.SUBMITTED},
            State.PAYMENT_PENDING,
            {"system"},
            notice="payment_due",
        ),
        _t(
            "confirm_payment",
            {State.PAYMENT_PENDING},
            State.IN_REVIEW,
            {"system"},
            sla="start",
            notice="submitted",
        ),
        _t(
            "start_review",
            {State.SUBMITTED},
            State.IN_REVIEW,
            REVIEWERS,
            notice="review_started",
        ),
        _t(
            "schedule_inspection",
            {State.IN_REVIEW},
            State.INSPECTION_SCHEDULED,
            REVIEWERS,
            requires=("inspection_date",),
            notice="inspection_scheduled",
        ),
        _t(
            "record_inspection",
            {State.INSPECTION_SCHEDULED},
            State.INSPECTED,
            {"inspector"},
            requires=("note",),
            notice="inspection_recorded",
        ),
        _t(
            "request_info",
            {State.IN_REVIEW, State.INSPECTED},
            State.INFO_REQUESTED,
            REVIEWERS,
            requires=("note",),
            sla="pause",
            notice="info_requested",
        ),
        _t(
            "answer",
            {State.INFO_REQUESTED},
            State.IN_REVIEW,
            {"applicant"},
            requires=("note",),
            sla="resume",
            notice="answer_received",
        ),
        _t(
            "approve",
            {State.IN_REVIEW, State.INSPECTED},
            State.APPROVED,
            REVIEWERS,
            sla="stop",
            notice="approved",
        ),
        _t(
            "issue",
            {State.APPROVED},
            State.ISSUED,
            {"department_head", "admin"},
            notice="licence_issued",
        ),
        _t(
            "reject",
            OPEN_BEFORE_DECISION - {State.PAYMENT_PENDING},
            State.REJECTED,
            REVIEWERS,
            requires=("reason_ar", "reason_en"),
            sla="stop",
            notice="rejected",
        ),
        _t(
            "withdraw",
            OPEN_BEFORE_DECISION | {State.DRAFT},
            State.WITHDRAWN,
            {"applicant"},
            sla="stop",
            notice="withdrawn",
        ),
        _t(
            "cancel",
            OPEN_BEFORE_DECISION | {State.APPROVED},
            State.CANCELLED,
            {"department_head", "admin"},
            requires=("note",),
            sla="stop",
            notice="application_cancelled",
        ),
        # Unpaid applications lapse after the configured number of days (a periodic job, which
        # sends its own `payment_expired` notice).
        _t("expire_unpaid", {State.PAYMENT_PENDING}, State.CANCELLED, {"system"}),
    )
}


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
    lines = []
    for t in TRANSITIONS.values():
        for source in sorted(t.sources):
            lines.append(
                f"{source:>22} --{t.action}--> {t.target}   [{', '.join(sorted(t.roles))}]"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(graph())
