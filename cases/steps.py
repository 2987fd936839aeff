"""The guards and effects of the case workflow (`cases.lifecycle`): what a step checks besides
the table, and what it writes and sends besides the state. They run inside `app.workflow.fire()`,
in the caller's unit of work: notices go to the outbox, delivered after commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from app.access import role_on_record
from app.accounts.models import Role, User
from app.authorities.models import Authority
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.timeutil import MUSCAT
from app.workflow import SYSTEM, Guard, Step
from cases import kinds, notices
from cases.kinds import Classification, Decision, Kind
from cases.models import Case, CaseEvent

PERSON = "applicant"  # role_on_record's name for the record's own person (cases.lifecycle)

SAME_DEPARTMENT = N_("The case is already with this department.")
SAME_AUTHORITY = N_("Forward the case to another authority.")
NO_AUTHORITY = N_("There is no authority with this code.")
DECISION_NEEDED = N_("Give the decision: accepted, accepted_in_part, declined or noted.")
WINDOW_CLOSED = N_("A case can be reopened within 10 working days of its answer.")
REOPEN_USED = N_("The case was reopened once already; it is escalated instead.")
NOT_REOPENED = N_("Escalation follows a reopening: reopen the case first.")
HANDLING_ROLES = frozenset({Role.INSPECTOR, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.AUDITOR})


def caller_role(case: Case, actor: User | str) -> str:
    """The role the caller acts in on this case, or 404 for anyone who may not see it: its
    person, and staff of its authority; a confidential case only the staff of the department
    handling it, its assignee, and the authority's admins."""
    if actor == SYSTEM:
        return SYSTEM
    role = role_on_record(actor, case.person_id or 0, case.authority_id)
    confidential = case.classification == Classification.CONFIDENTIAL
    if (
        confidential
        and actor.role in HANDLING_ROLES
        and actor.department_id != case.department_id
        and actor.id != case.assignee_id
    ):
        raise NotFound()
    return role


# Guards -------------------------------------------------------------------------------------


def kind_takes(actions: Mapping[str, frozenset[str]]) -> Guard:
    """The per-kind rule: an action the case's kind does not take is refused like a state
    that does not allow it (409 `transition_not_allowed`)."""

    def check(step: Step) -> None:
        if step.action not in actions[step.record.kind]:
            raise step.workflow.refusal(step.record, step.action)

    return check


def other_department(step: Step) -> None:
    """Reassign: to another department of the case's authority (422 `department`)."""
    found = kinds.department(step.record.authority_id, str(step.fields["department"]))
    if found.id == step.record.department_id:
        raise ValidationFailed({"department": [SAME_DEPARTMENT]})
    step.result["department"] = found


def other_authority(step: Step) -> None:
    """Forward: to another authority that takes the kind (422 `authority`)."""
    code = str(step.fields["authority"]).upper()
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        raise ValidationFailed({"authority": [NO_AUTHORITY]})
    if authority.id == step.record.authority_id:
        raise ValidationFailed({"authority": [SAME_AUTHORITY]})
    step.result["authority"] = authority
    step.result["service"] = kinds.service_for(authority.id, authority.code, Kind(step.record.kind))


def decision_given(step: Step) -> None:
    """Answer a suggestion or a comment: a decision comes with its reasons (the answer)."""
    if step.record.kind not in kinds.PUBLISHABLE:
        return
    if step.fields.get("decision") not in {d.value for d in Decision}:
        raise ValidationFailed({"decision": [DECISION_NEEDED]})


def within_reopen_window(step: Step) -> None:
    """Reopen or escalate: within `REOPEN_WINDOW_DAYS` working days of the answer; reopening
    once, escalation only after it."""
    from cases.lifecycle import REOPEN_WINDOW_DAYS

    case = step.record
    calendar = case.working_calendar()
    answered = case.answered_at.astimezone(MUSCAT).date()
    if calendar.between(answered, step.now.astimezone(MUSCAT).date()) > REOPEN_WINDOW_DAYS:
        raise Conflict(code="reopen_window_closed", detail=WINDOW_CLOSED)
    if step.action == "reopen" and case.reopen_count:
        raise Conflict(code="reopen_used", detail=REOPEN_USED)
    if step.action == "escalate" and not case.reopen_count:
        raise Conflict(code="not_reopened", detail=NOT_REOPENED)


# Before the state is written ----------------------------------------------------------------


def record_fields(step: Step) -> None:
    """What an action writes on the case besides its state."""
    case, action, data = step.record, step.action, step.fields
    if action == "answer":
        case.answer = str(data["answer"]).strip()
        case.decision = data.get("decision") if case.kind in kinds.PUBLISHABLE else None
        case.answered_at = step.now
        recipient = case.recipient
        case.answer_language = recipient.preferred_language if recipient else "ar"
    elif action == "forward":
        _open_forwarded_case(step)
    elif action == "reassign":
        case.department_id = step.result["department"].id
        case.assignee_id = None  # the new department's head assigns it
    elif action == "reopen":
        case.reopen_count += 1
    elif (
        action in ("acknowledge", "study")
        and case.assignee_id is None
        and isinstance(step.actor, User)
        and step.actor.role == Role.INSPECTOR
    ):
        case.assignee_id = step.actor.id


def _open_forwarded_case(step: Step) -> None:
    """Forward: the receiving authority's own case, linked both ways, received now (before the
    audit row and the notice, which name it)."""
    from cases.filing import open_forwarded

    received = open_forwarded(step.record, step.result["authority"], step.result["service"], step)
    step.record.forwarded_to_id = received.id
    step.result["forwarded_to"] = received


def move_sla_clock(step: Step) -> None:
    """The table's SLA effect; a reopened case starts a new clock of its target (the
    authority answers again within the same time); and the last action's time, which the
    escalation sweep measures idleness from."""
    case = step.record
    with db.session.no_autoflush:
        if step.action == "reopen":
            case.sla_started_at = case.sla_stopped_at = case.sla_paused_at = None
            case.sla_paused_days = 0
            case.move_clock("start", step.now)
        else:
            case.move_clock(step.transition.sla, step.now)
    case.last_action_at = step.now
    if step.role not in (PERSON, SYSTEM):
        case.reply_due_since = None  # a step of the staff answers the person's message


# After the state is written -----------------------------------------------------------------


def write_timeline(step: Step) -> None:
    note = step.fields.get("note") or (
        step.fields.get("answer") if step.action == "answer" else None
    )
    CaseEvent.add(step.actor, step.action, step.source, step.target, note, case=step.record)


def audited_fields(step: Step) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "department" in step.result:
        extra["department"] = step.result["department"].code
    if "authority" in step.result:
        extra["authority"] = step.result["authority"].code
    if "forwarded_to" in step.result:
        extra["forwarded_to"] = step.result["forwarded_to"].reference
    if step.action == "answer":
        extra["answer"] = step.record.answer
        if step.record.decision:
            extra["decision"] = step.record.decision
    return extra


def send_notice(step: Step) -> None:
    notice = step.transition.notice
    if notice:
        notices.tell_person(step.record, notice, step.result)


def tell_heads(step: Step) -> None:
    """Escalate: the heads of the handling department are told, in their language."""
    notices.tell_heads(step.record, "case_escalated", {"note": str(step.fields["note"])})
