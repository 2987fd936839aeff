"""The refund workflow: states and transitions as data (`app.workflow`), the only writer of
`Refund.state`. `python -m refunds.lifecycle` prints the table.

"finance" may act on refunds of its authority; "applicant" is the payer the refund is for;
"system" is our own code (the send job, the gateway's answers, reconciliation). Above the
four-eyes threshold (`REFUND_SECOND_APPROVAL_BAISA`) a person's "approve" is first the table's
`first_approval` (the refund stays under review), then `approve` by another officer.
"""

from __future__ import annotations

from app.errors import Forbidden
from app.i18n import N_
from app.timeutil import utcnow
from app.workflow import SYSTEM, Step, Workflow, register, transition
from refunds import effects as fx
from refunds import guards as g
from refunds.models import Refund
from refunds.queries import role_of
from refunds.states import (  # noqa: F401 - the states, named here as by every lifecycle
    APPROVED,
    BANK_TRANSFER,
    CARD,
    CLOSED,
    COMMITTED,
    EVIDENCE_REQUESTED,
    FAILED,
    OPEN,
    PROCESSING,
    REFUNDED,
    REJECTED,
    STATES,
    SUBMITTED,
    UNDER_REVIEW,
    WITHDRAWN,
)

FINANCE, APPLICANT = {"finance"}, {"applicant"}
NOT_A_TRANSFER = ("not_a_bank_transfer", N_("This refund goes back to the card."))
DECIDES = g.not_the_requester(g.DECISION_REFUSED)
PAYS_OUT = g.not_the_requester(g.PAYING_OUT_REFUSED)
APPROVAL_AMOUNT = (g.amount_within_request, g.same_amount_as_first_approval)


def _t(action, sources, target, roles, *, effects=(), **rule):
    """A rule whose effects end with the step's timeline entry and audit row."""
    return transition(action, sources, target, roles, effects=(*effects, fx.trail), **rule)


TRANSITIONS = {
    t.action: t
    for t in (
        _t("start_review", {SUBMITTED}, UNDER_REVIEW, FINANCE),
        _t(
            "request_evidence",
            {SUBMITTED, UNDER_REVIEW},
            EVIDENCE_REQUESTED,
            FINANCE,
            requires=("note",),
            sla="pause",
            notice="refund_evidence_requested",
            effects=(fx.ask_for_evidence,),
        ),
        # Taken by the applicant's upload of evidence, not asked for by name.
        _t("evidence_added", {EVIDENCE_REQUESTED}, UNDER_REVIEW, APPLICANT, sla="resume"),
        _t(
            "first_approval",
            {SUBMITTED, UNDER_REVIEW},
            UNDER_REVIEW,
            FINANCE,
            guards=(
                DECIDES,
                *APPROVAL_AMOUNT,
                g.within_what_was_captured,
                g.needs_a_first_approval,
            ),
            effects=(fx.record_first_approval,),
            note="above the threshold, no first approval yet: the approver is kept",
        ),
        _t(
            "approve",
            {SUBMITTED, UNDER_REVIEW},
            APPROVED,
            FINANCE,
            sla="stop",
            notice="refund_decided",
            guards=(DECIDES, *APPROVAL_AMOUNT, g.within_what_was_captured, g.four_eyes),
            effects=(fx.record_approval,),
            note="at or below the threshold, or after a first approval by another officer",
        ),
        _t(
            "reject",
            {SUBMITTED, UNDER_REVIEW, EVIDENCE_REQUESTED},
            REJECTED,
            FINANCE,
            requires=("reason_ar", "reason_en"),
            sla="stop",
            notice="refund_decided",
            guards=(DECIDES,),
            effects=(fx.record_rejection,),
        ),
        _t(
            "withdraw",
            {SUBMITTED, UNDER_REVIEW, EVIDENCE_REQUESTED},
            WITHDRAWN,
            APPLICANT,
            sla="stop",
        ),
        _t("send", {APPROVED}, PROCESSING, {SYSTEM}),
        _t(
            "gateway_refunded",
            {PROCESSING},
            REFUNDED,
            {SYSTEM},
            guards=(g.paid_back_by(CARD),),
            effects=(fx.settle,),
        ),
        _t(
            "gateway_failed",
            {PROCESSING},
            FAILED,
            {SYSTEM},
            notice="refund_decided",
            guards=(g.paid_back_by(CARD),),
            effects=(fx.record_gateway_failure,),
        ),
        _t(
            "transfer_done",
            {PROCESSING},
            REFUNDED,
            FINANCE,
            requires=("transfer_reference",),
            guards=(
                PAYS_OUT,
                g.paid_back_by(BANK_TRANSFER, NOT_A_TRANSFER),
                g.destination_by_another_officer,
                g.transfer_proof_uploaded,
            ),
            effects=(fx.record_transfer, fx.settle),
        ),
        # Only a bank transfer can be declared failed by a person: a card refund in flight is
        # the gateway's to settle (else it could be paid twice).
        _t(
            "transfer_failed",
            {PROCESSING},
            FAILED,
            FINANCE,
            requires=("note",),
            guards=(PAYS_OUT, g.paid_back_by(BANK_TRANSFER)),
        ),
        # A card refund is retried with a new idempotency key, once the gateway says it failed.
        _t(
            "retry",
            {FAILED},
            PROCESSING,
            FINANCE,
            guards=(PAYS_OUT,),
            effects=(fx.new_gateway_round,),
        ),
        # The gateway cannot refund this card (refused, or past its window): pay by bank transfer.
        _t(
            "switch_to_bank_transfer",
            {FAILED},
            PROCESSING,
            FINANCE,
            requires=("iban", "account_holder"),
            guards=(PAYS_OUT, g.paid_back_by(CARD)),
            effects=(fx.pay_by_bank_transfer,),
        ),
    )
}

WORKFLOW = register(
    Workflow(
        name="refund",
        model=Refund,
        states=STATES,
        initial=SUBMITTED,
        transitions=TRANSITIONS,
        role_of=role_of,
        before=(fx.move_clock,),
        not_allowed=N_("This action is not allowed in the refund's current state."),
    )
)


def check(refund: Refund, action: str, actor) -> None:
    """Refuse `action` as `fire()` would, short of its required fields (unknown action, role,
    state, the rule's guards), writing nothing: for a use case that must ask the gateway, with
    no transaction open, before it fires. Used only for rules whose guards only read."""
    rule = WORKFLOW.rule(action)
    role = role_of(refund, actor)
    if role not in rule.roles:
        raise Forbidden()
    if not WORKFLOW.allows(refund, action):
        raise WORKFLOW.refusal(refund, action)
    step = Step(WORKFLOW, refund, rule, actor, role, {}, str(refund.state), utcnow())
    for guard in rule.guards:
        guard(step)


def table() -> str:
    """The graph, then each rule's guards and why it is as it is."""
    lines = [WORKFLOW.graph(), ""]
    for rule in TRANSITIONS.values():
        guards = ", ".join(guard.__name__ for guard in rule.guards)
        if guards or rule.note:
            lines.append(
                f"{rule.action:>24}: {guards or '-'}{'  (' + rule.note + ')' if rule.note else ''}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
