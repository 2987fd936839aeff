"""The licence register's lifecycle as data: a licence's states and the steps between them.

A licence is issued `active` (a new register row starts in the initial state, written by
`licensing.register.write_register` when a registration is issued). A renewal makes it active
again (from active, or from expired when it lapsed while the renewal was pending); a
cancellation ends it (from active, or from expired for the same reason); the daily job expires
it after its last valid day. An amendment changes its details, never its state, so it is no
step of this table (its before and after are the licence revision's).
Each step is taken with `app.workflow.fire()`, the only writer of `Licence.state`.
`python -m licensing.licence_lifecycle` prints the graph.
"""

from __future__ import annotations

import enum
from typing import Any

from app.access import role_on_record
from app.workflow import SYSTEM, Transition, Workflow, audited, register, transition
from licensing.models import Licence


class LicenceState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


ISSUERS = frozenset({"department_head", "admin"})  # who issues the application that changes it


def licence_role(licence: Licence, actor: Any) -> str:
    """The role the actor takes on the licence (404 for one who may not see it)."""
    if actor == SYSTEM:
        return SYSTEM
    return role_on_record(actor, licence.holder_id, licence.authority_id)


# The audit row of an expiry names the last valid day (what the register is judged by).
_audit_expiry = audited(
    "licence",
    event=lambda step: "licence.expired",
    subject_id=lambda licence: licence.number,
    before=lambda step: {"valid_until": step.record.valid_until.isoformat()},
)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        transition(
            "renew",
            {LicenceState.ACTIVE, LicenceState.EXPIRED},
            LicenceState.ACTIVE,
            ISSUERS,
            note="issuing a renewal application",
        ),
        transition(
            "cancel",
            {LicenceState.ACTIVE, LicenceState.EXPIRED},
            LicenceState.CANCELLED,
            ISSUERS,
            note="issuing a cancellation application",
        ),
        transition(
            "expire",
            {LicenceState.ACTIVE},
            LicenceState.EXPIRED,
            {SYSTEM},
            effects=(_audit_expiry,),
            note="the daily job, after the last valid day",
        ),
    )
}

LICENCES = register(
    Workflow(
        name="licence",
        model=Licence,
        states=tuple(s.value for s in LicenceState),
        initial=LicenceState.ACTIVE.value,
        transitions=TRANSITIONS,
        role_of=licence_role,
    )
)


if __name__ == "__main__":
    print(LICENCES.graph())
