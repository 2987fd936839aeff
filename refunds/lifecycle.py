"""Refund states and transitions: one table, like the application lifecycle.

"finance" may act on refunds of its authority; "applicant" is the payer the refund is for;
"system" is our own code (the gateway's answers, reconciliation).
"""

from __future__ import annotations

from dataclasses import dataclass

SUBMITTED, UNDER_REVIEW, EVIDENCE_REQUESTED = "submitted", "under_review", "evidence_requested"
APPROVED, PROCESSING, REFUNDED = "approved", "processing", "refunded"
FAILED, REJECTED, WITHDRAWN = "failed", "rejected", "withdrawn"
STATES = (
    SUBMITTED,
    UNDER_REVIEW,
    EVIDENCE_REQUESTED,
    APPROVED,
    PROCESSING,
    REFUNDED,
    FAILED,
    REJECTED,
    WITHDRAWN,
)
# Money promised or gone: these count against what was captured.
COMMITTED = frozenset({APPROVED, PROCESSING, REFUNDED, FAILED})
OPEN = frozenset({SUBMITTED, UNDER_REVIEW, EVIDENCE_REQUESTED})
# Nothing left for finance to do: out of the queue unless asked for by state.
CLOSED = frozenset({REFUNDED, REJECTED, WITHDRAWN})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    sla: str | None = None
    methods: frozenset[str] | None = None  # the ways of paying back it applies to; None: all


CARD, BANK_TRANSFER = frozenset({"card"}), frozenset({"bank_transfer"})


def _t(action, sources, target, roles, requires=(), sla=None, methods=None):
    return Transition(
        action, frozenset(sources), target, frozenset(roles), tuple(requires), sla, methods
    )


TRANSITIONS = {
    t.action: t
    for t in (
        _t("start_review", {SUBMITTED}, UNDER_REVIEW, {"finance"}),
        _t(
            "request_evidence",
            {SUBMITTED, UNDER_REVIEW},
            EVIDENCE_REQUESTED,
            {"finance"},
            ("note",),
            sla="pause",
        ),
        _t("evidence_added", {EVIDENCE_REQUESTED}, UNDER_REVIEW, {"applicant"}, sla="resume"),
        # Above the four-eyes threshold the first approval keeps the refund under review.
        _t("approve", {SUBMITTED, UNDER_REVIEW}, APPROVED, {"finance"}, sla="stop"),
        _t(
            "reject",
            {SUBMITTED, UNDER_REVIEW, EVIDENCE_REQUESTED},
            REJECTED,
            {"finance"},
            ("reason_ar", "reason_en"),
            sla="stop",
        ),
        _t(
            "withdraw",
            {SUBMITTED, UNDER_REVIEW, EVIDENCE_REQUESTED},
            WITHDRAWN,
            {"applicant"},
            sla="stop",
        ),
        _t("send", {APPROVED}, PROCESSING, {"system"}),
        _t("gateway_refunded", {PROCESSING}, REFUNDED, {"system"}, methods=CARD),
        _t("gateway_failed", {PROCESSING}, FAILED, {"system"}, methods=CARD),
        _t(
            "transfer_done",
            {PROCESSING},
            REFUNDED,
            {"finance"},
            ("transfer_reference",),
            methods=BANK_TRANSFER,
        ),
        # Only a bank transfer can be declared failed by a person: a card refund in flight is
        # the gateway's to settle (else it could be paid twice).
        _t("transfer_failed", {PROCESSING}, FAILED, {"finance"}, ("note",), methods=BANK_TRANSFER),
        # A card refund is retried with a new idempotency key, once the gateway says it failed.
        _t("retry", {FAILED}, PROCESSING, {"finance"}),
        # The gateway cannot refund this card (refused, or past its window): pay by bank transfer.
        _t(
            "switch_to_bank_transfer",
            {FAILED},
            PROCESSING,
            {"finance"},
            ("iban", "account_holder"),
            methods=CARD,
        ),
    )
}
