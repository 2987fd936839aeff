"""The refund table's checks (role, state, method, required fields) and the state change itself,
and the separation of duties."""

from __future__ import annotations

from typing import Any

from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.timeutil import utcnow
from refunds import lifecycle as rl
from refunds.models import Refund
from refunds.queries import role_of
from refunds.trail import timeline


def allowed(refund: Refund, action: str, actor: User | str) -> rl.Transition:
    """The rule of `action` if `actor` may take it on the refund as it is now; else refused."""
    rule = rl.TRANSITIONS.get(action)
    if rule is None:
        raise NotFound()
    if role_of(refund, actor) not in rule.roles:
        raise Forbidden()
    if refund.state not in rule.sources:
        raise Conflict(
            code="transition_not_allowed",
            detail=N_("This action is not allowed in the refund's current state."),
            extra={"state": refund.state, "action": action},
        )
    if rule.methods is not None and refund.method not in rule.methods:
        raise Conflict(
            code="wrong_refund_method",
            detail=N_("This action does not apply to a refund paid back this way."),
            extra={"method": refund.method, "action": action},
        )
    return rule


def transition(
    refund: Refund, action: str, actor: User | str, data: dict[str, Any], commit: bool = True
) -> Refund:
    rule = allowed(refund, action, actor)
    missing = {
        f: [N_("Missing data for required field.")] for f in rule.requires if not data.get(f)
    }
    if missing:
        raise ValidationFailed(missing)
    now, source = utcnow(), refund.state
    refund.move_clock(rule.sla, now)
    refund.state = rule.target
    timeline(refund, actor, action, source, rule.target, data.get("note") or data.get("reason_en"))
    record_change(
        f"refund.{action}",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before={"state": source},
        after={"state": rule.target},
    )
    if commit:
        db.session.commit()
    return refund


# Once approved, the steps that send money, or say where it goes, are not for whoever asked.
PAYING_OUT = frozenset({"retry", "switch_to_bank_transfer", "transfer_failed", "transfer_done"})
PAYING_OUT_REFUSED = (
    "requester_cannot_pay_out",
    N_("Whoever asked for a refund cannot pay it out."),
)
DECISION_REFUSED = (
    "requester_cannot_decide",
    N_("Whoever asked for a refund cannot decide on it."),
)


def not_the_requester(
    refund: Refund, actor: User, refusal: tuple[str, str] = DECISION_REFUSED
) -> None:
    if actor.id == refund.requested_by_id:
        raise Forbidden(code=refusal[0], detail=refusal[1])
