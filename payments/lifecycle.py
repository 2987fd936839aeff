"""Payment states and their transitions: one workflow (`app.workflow`), the only writer of
`Payment.state`.

A payment is *open* while it can still be paid: pending, or failed (the same PaymentIntent takes
another card). Succeeded wins over any failure that arrives late; canceled and expired are final.
Every step is our own code acting on the gateway's word (`SYSTEM`); each action is named for the
state it reaches, so its audit row is `payment.succeeded`, `payment.failed`, ...
`python -m payments.lifecycle` prints the table.
"""

from __future__ import annotations

from typing import Any

from app.workflow import SYSTEM, Workflow, audited, fire, register, transition
from payments.models import Payment

PENDING, FAILED, SUCCEEDED, CANCELED, EXPIRED = (
    "pending",
    "failed",
    "succeeded",
    "canceled",
    "expired",
)
STATES = (PENDING, FAILED, SUCCEEDED, CANCELED, EXPIRED)
OPEN = frozenset({PENDING, FAILED})


class InvalidTransition(ValueError):
    pass


def _role_of(payment: Payment, actor: Any) -> str:
    return SYSTEM if actor == SYSTEM else "nobody"


# Each step's audit row says where the gateway's word came from (webhook, reconciliation, expiry).
_audited = audited("payment", after=lambda step: {"source": step.fields.get("source")})


WORKFLOW = register(
    Workflow(
        name="payment",
        model=Payment,
        states=STATES,
        initial=PENDING,
        transitions={
            t.action: t
            for t in (
                transition(SUCCEEDED, OPEN, SUCCEEDED, {SYSTEM}, note="wins over a late failure"),
                transition(FAILED, OPEN, FAILED, {SYSTEM}, note="the intent takes another card"),
                transition(CANCELED, OPEN, CANCELED, {SYSTEM}),
                transition(EXPIRED, OPEN, EXPIRED, {SYSTEM}, note="unpaid past the window"),
            )
        },
        role_of=_role_of,
        after=(_audited,),
    )
)

# source -> the states it may reach (each action reaches the state it is named for).
TRANSITIONS: dict[str, frozenset[str]] = {
    state: frozenset(WORKFLOW.actions_from(state)) for state in STATES
}


def can_move(source: str, target: str) -> bool:
    return target in TRANSITIONS[source]


def check(source: str, target: str) -> None:
    if not can_move(source, target):
        raise InvalidTransition(f"payment cannot go from {source} to {target}")


def move(payment: Payment, target: str, source: str) -> None:
    """Take the step to `target` as our own code, saying where the word came from."""
    fire(payment, target, SYSTEM, source=source)


def graph() -> str:
    return "\n".join(
        f"{source:>10} --> {target}"
        for source, targets in TRANSITIONS.items()
        for target in sorted(targets)
    )


if __name__ == "__main__":
    print(graph())
