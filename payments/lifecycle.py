"""Payment states and their transitions: one explicit table.

A payment is *open* while it can still be paid: pending, or failed (the same PaymentIntent takes
another card). Succeeded wins over any failure that arrives late; canceled and expired are final.
`python -m payments.lifecycle` prints the table.
"""

from __future__ import annotations

PENDING, FAILED, SUCCEEDED, CANCELED, EXPIRED = (
    "pending",
    "failed",
    "succeeded",
    "canceled",
    "expired",
)
OPEN = frozenset({PENDING, FAILED})

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({SUCCEEDED, FAILED, CANCELED, EXPIRED}),
    FAILED: frozenset({SUCCEEDED, FAILED, CANCELED, EXPIRED}),
    SUCCEEDED: frozenset(),
    CANCELED: frozenset(),
    EXPIRED: frozenset(),
}


class InvalidTransition(ValueError):
    pass


def can_move(source: str, target: str) -> bool:
    return target in TRANSITIONS[source]


def check(source: str, target: str) -> None:
    if not can_move(source, target):
        raise InvalidTransition(f"payment cannot go from {source} to {target}")


def graph() -> str:
    return "\n".join(
        f"{source:>10} --> {target}"
        for source, targets in TRANSITIONS.items()
        for target in sorted(targets)
    )


if __name__ == "__main__":
    print(graph())
