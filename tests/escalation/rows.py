"""Items written straight into the database for the ladder's tests, with a given last action and
SLA clock, and what the sweep recorded of them."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from app import uow
from app.catalogue.models import Service
from app.escalation.models import Escalation
from app.escalation.sweep import escalate
from app.extensions import db
from app.timeutil import MUSCAT
from licensing.models import Application

_numbers = itertools.count(1)


def muscat(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=MUSCAT)


def service_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Service.id).where(Service.code == code))


def add_application(
    app,
    applicant_id: int,
    code: str,
    last_action: dt.datetime,
    *,
    state: str = "in_review",
    assignee_id: int | None = None,
    target_days: int | None = None,
    due: dt.date | None = None,
    reference: str | None = None,
    target_minutes: int | None = None,
    due_at: dt.datetime | None = None,
) -> int:
    """An application of service `code` whose last action was `last_action`; with a running
    clock of `target_days` due on `due` (given by the test), or of `target_minutes` due at
    `due_at`, else with no clock."""
    if target_minutes is not None:
        target_days, due = 0, due_at.astimezone(MUSCAT).date()
    with app.app_context(), uow.transaction():
        service = db.session.scalar(sa.select(Service).where(Service.code == code))
        return db.session.execute(
            sa.insert(Application)
            .values(
                reference=reference or f"LADDER-{next(_numbers):05d}",
                authority_id=service.authority_id,
                service_id=service.id,
                applicant_id=applicant_id,
                assignee_id=assignee_id,
                family=service.family,
                action=service.action,
                state=state,
                details={},
                fee_baisa=0,
                required_documents=[],
                sla_target_days=target_days or 0,
                sla_started_at=last_action if target_days is not None else None,
                sla_paused_at=last_action if state == "info_requested" else None,
                sla_due_date=due,
                sla_unit="working_minutes" if target_minutes is not None else "working_days",
                sla_target_minutes=target_minutes,
                sla_due_at=due_at,
                queue_band=0 if due is not None else 3,
                last_action_at=last_action,
            )
            .returning(Application.id)
        ).scalar_one()


def sweep(app, now: dt.datetime) -> int:
    with app.app_context(), uow.transaction():
        return escalate(now)


def fired(app) -> list[tuple]:
    """(kind, reference, level, idle days) of every escalation, in order."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Escalation.kind, Escalation.reference, Escalation.level, Escalation.idle_days
            ).order_by(Escalation.id)
        )
        return [tuple(row) for row in rows]


def hold_level_two(app, code: str, user_id: int) -> None:
    """`user_id` holds the position level 2 of service `code` reaches: the one it names, else
    its department's head."""
    from app.positions.models import Position, PositionCode

    with app.app_context(), uow.transaction():
        service = db.session.scalar(sa.select(Service).where(Service.code == code))
        position_id = service.escalation_position_id or db.session.scalar(
            sa.select(Position.id).where(
                Position.department_id == service.department_id,
                Position.code == PositionCode.DEPARTMENT_HEAD,
            )
        )
        db.session.get(Position, position_id).holder_id = user_id
