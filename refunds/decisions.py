"""A person's action on a refund: the table's rule for it, fired (`refunds/lifecycle.py` holds
the roles, states, fields, guards — four eyes, separation of duties, amount caps — and effects).
Finance's "resolve_attention" is the one action outside the table: it changes no state."""

from __future__ import annotations

from typing import Any

from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.workflow import MISSING_FIELD, fire
from refunds import lifecycle as rl
from refunds.guards import approval_amount, first_approval_due
from refunds.models import Refund
from refunds.payout import ASKS_THE_GATEWAY_FIRST, gateway_refund_known_failed
from refunds.queries import locked_refund, role_of
from refunds.trail import timeline

# Table actions not asked for by name: evidence arrives by its upload (403, as an action of
# another route), and a first approval is asked for as "approve" (404, not an action of ours).
NOT_ASKED_BY_NAME = {"evidence_added": Forbidden, "first_approval": NotFound}


def act(actor: User, refund_id: int, action: str, data: dict[str, Any]) -> Refund:
    """Take `action` on the refund as `actor` with the request's `data`, in the caller's unit of
    work; refused as the table says. A retry or a switch to bank transfer first asks the gateway,
    with no transaction open, whether its refund really failed (`payout`)."""
    if action == "resolve_attention":
        return resolve_attention(actor, refund_id, data)
    if action in NOT_ASKED_BY_NAME:
        raise NOT_ASKED_BY_NAME[action]()
    checked = None
    if action in ASKS_THE_GATEWAY_FIRST:
        checked = gateway_refund_known_failed(actor, refund_id, action)
    refund = locked_refund(actor, refund_id)
    if checked is not None and refund.gateway_refund_id != checked:
        raise rl.WORKFLOW.refusal(refund, action)  # it changed while we asked the gateway
    fire(refund, table_action(refund, action, data), actor, **data)
    return refund


def table_action(refund: Refund, action: str, data: dict[str, Any]) -> str:
    """The table's action for what a person asked: "approve" above the four-eyes threshold, with
    no approval recorded yet, is the first of two (`first_approval`)."""
    if (
        action == "approve"
        and refund.state in rl.TRANSITIONS["first_approval"].sources
        and first_approval_due(refund, approval_amount(refund, data.get("amount")))
    ):
        return "first_approval"
    return action


def resolve_attention(actor: User, refund_id: int, data: dict[str, Any]) -> Refund:
    """Finance records what it did about a gateway discrepancy, and the flag is cleared."""
    refund = locked_refund(actor, refund_id)
    if role_of(refund, actor) != "finance":
        raise Forbidden()
    if not data.get("note"):
        raise ValidationFailed({"note": [MISSING_FIELD]})
    if refund.attention is None:
        raise Conflict(
            code="nothing_to_resolve", detail=N_("Nothing about this refund awaits finance.")
        )
    record_change(
        "refund.attention_resolved",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before={"attention": refund.attention},
        after={"note": data["note"]},
    )
    timeline(refund, actor, "resolve_attention", refund.state, refund.state, data["note"])
    refund.attention = None
    return refund
