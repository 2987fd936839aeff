"""The guards and effects of the application workflow (`licensing.lifecycle`): what a step
checks besides the table, and what it writes and sends besides the state.

They run inside `app.workflow.fire()`, in the caller's unit of work: notices go to the outbox,
jobs after commit. A fee due on submission changes the submit step: its clock and notice wait
for the payment, and the system's `request_payment` follows at once (`request_fee`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.access import role_on_record
from app.accounts.models import User
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.money import format_baisa
from app.notifications.services import notify
from app.timeutil import MUSCAT
from app.workflow import SYSTEM, Step, fire
from licensing.models import Application, ApplicationEvent, Document
from licensing.register import keeps_register, verification_url, write_register


def caller_role(application: Application, actor: User | str) -> str:
    """The role the caller acts in on this application (404 for anyone who may not see it)."""
    if actor == SYSTEM:
        return SYSTEM
    return role_on_record(actor, application.applicant_id, application.authority_id)


def fee_due(step: Step) -> bool:
    """A submission with a fee: the payment comes before the review."""
    return step.action == "submit" and step.record.fee_baisa > 0


# Guards -------------------------------------------------------------------------------------


def documents_present(step: Step) -> None:
    """Submit: every mandatory document is uploaded (409 `documents_missing` naming them)."""
    application = step.record
    have = set(
        db.session.scalars(
            sa.select(Document.document_code).where(Document.application_id == application.id)
        )
    )
    missing = [
        d for d in application.required_documents if d["mandatory"] and d["code"] not in have
    ]
    if missing:
        raise Conflict(
            code="documents_missing",
            detail=N_("Upload every mandatory document before submitting."),
            extra={
                "missing": [
                    {"code": d["code"], "name_ar": d["name_ar"], "name_en": d["name_en"]}
                    for d in missing
                ]
            },
        )


def inspection_not_past(step: Step) -> None:
    """Schedule an inspection: not before today in Muscat (422 naming `inspection_date`)."""
    if step.fields["inspection_date"] < step.now.astimezone(MUSCAT).date():
        raise ValidationFailed({"inspection_date": [N_("The inspection cannot be in the past.")]})


# Before the state is written ----------------------------------------------------------------


def record_fields(step: Step) -> None:
    """What an action writes on the application besides its state."""
    application, action, data, now = step.record, step.action, step.fields, step.now
    if action == "submit":
        application.submitted_at = now
    elif action == "schedule_inspection":
        application.inspection_date = data["inspection_date"]
    elif action in ("approve", "reject"):
        application.decided_at = now
        if action == "reject":
            application.rejection_reason_ar = data["reason_ar"]
            application.rejection_reason_en = data["reason_en"]
    elif (
        action == "start_review"
        and application.assignee_id is None
        and isinstance(data.get("actor"), User)
    ):
        application.assignee_id = data["actor"].id
    elif action == "issue" and keeps_register(application.family, application.action):
        write_register(application, step.actor)


def move_sla_clock(step: Step) -> None:
    """The table's SLA effect (none while a fee is due: the clock starts when it is paid), and
    the last action's time (what escalation measures idleness from)."""
    # The calendar may be read from the database: not a reason to flush what `record_fields`
    # wrote, which would make two UPDATEs of the row where the step's flush makes one.
    with db.session.no_autoflush:
        step.record.move_clock(None if fee_due(step) else step.transition.sla, step.now)
    step.record.last_action_at = step.now


# After the state is written -----------------------------------------------------------------


def write_timeline(step: Step) -> None:
    note = step.fields.get("note") or step.fields.get("reason_en")
    # Through the relationship: a timeline already loaded (`services.act`) shows the step too.
    ApplicationEvent.add(
        step.actor, step.action, step.source, step.target, note, application=step.record
    )


def send_notice(step: Step) -> None:
    """The step's notice (`notice_of`); with a fee due, the payment request's notice instead."""
    from licensing.lifecycle import notice_of

    application = step.record
    if fee_due(step):
        return
    notice = notice_of(
        step.action, step.target, application.action, application.licence is not None
    )
    if notice:
        notify_applicant(application, notice, step.fields)


def request_fee(step: Step) -> None:
    """Submit with a fee due: the system asks for the payment at once."""
    if fee_due(step):
        fire(step.record, "request_payment", SYSTEM)


def notify_applicant(application: Application, event: str, data: dict[str, Any]) -> None:
    service = application.service
    context = {
        "reference": application.reference,
        "service_ar": service.name_ar,
        "service_en": service.name_en,
        "due_date": application.sla_due_date.isoformat() if application.sla_due_date else "",
        "inspection_date": str(application.inspection_date or ""),
        "note_ar": data.get("note", ""),
        "note_en": data.get("note", ""),
        "reason_ar": application.rejection_reason_ar or "",
        "reason_en": application.rejection_reason_en or "",
        "amount": format_baisa(application.fee_baisa),
    }
    if event in ("licence_issued", "licence_cancelled"):
        licence = application.licence
        context.update(
            licence_number=licence.number,
            valid_until=licence.valid_until.isoformat(),
            verification_url=verification_url(licence),
        )
    notify(
        application.applicant,
        event,
        context,
        subject=("application", application.reference),
        authority_id=application.authority_id,
    )
