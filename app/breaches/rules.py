"""The rule of issue 15 on a missed target: a breached record is decided only once the staff
have said why it is late and what is being done.

`explanation_before(actions)` is the guard a workflow lists once (`Workflow.guards`) with the
actions that decide its records: from then on `app.workflow.fire()` refuses those actions on a
breached record without an explanation, with 409 `breach_explanation_required`, after the
table's own refusals (403 role, 409 state, 422 fields). A record on time, or already explained,
costs no statement: the clock is read from the row in memory and the explanations are looked up
only for a breached one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.breaches.models import BreachExplanation
from app.errors import Conflict
from app.extensions import db
from app.i18n import N_
from app.sla import SlaState
from app.workflow import Guard, Step

EXPLANATION_REQUIRED = N_(
    "This request missed its target: record why and what is being done before deciding it."
)


def is_breached(record: Any, now: datetime) -> bool:
    """Whether the record's SLA clock (`app.models.SlaTracked`) is past its target at `now`:
    still open after its due date, or stopped after it."""
    return record.sla_status(now).state == SlaState.BREACHED


def is_explained(subject_type: str, subject_id: int) -> bool:
    """Whether any explanation of the record has been recorded."""
    found = db.session.scalar(
        sa.select(BreachExplanation.id)
        .where(
            BreachExplanation.subject_type == subject_type,
            BreachExplanation.subject_id == subject_id,
        )
        .limit(1)
    )
    return found is not None


def explanation_before(actions: Iterable[str]) -> Guard:
    """A workflow guard: `actions` (those that decide the record) are refused on a breached
    record of the workflow (its subject type is the workflow's name) until an explanation is
    recorded: 409 `breach_explanation_required`."""
    deciding = frozenset(actions)

    def explanation_required(step: Step) -> None:
        record = step.record
        if step.action not in deciding or not is_breached(record, step.now):
            return
        if not is_explained(step.workflow.name, record.id):
            raise Conflict(
                code="breach_explanation_required",
                detail=EXPLANATION_REQUIRED,
                extra={"action": step.action, "due_date": _due(record)},
            )

    return explanation_required


def _due(record: Any) -> str | None:
    return record.sla_due_date.isoformat() if record.sla_due_date else None
