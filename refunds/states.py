"""The refund's states and the groups of them that rules and queries name."""

from __future__ import annotations

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
# The ways of paying back a rule applies to.
CARD, BANK_TRANSFER = frozenset({"card"}), frozenset({"bank_transfer"})
