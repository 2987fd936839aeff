"""Use cases of cases: read, act, list, talk, rate, publish. No use case commits: the request
or job that called it owns the unit of work (`app.uow`)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app import moderation, satisfaction
from app.accounts.models import Role, User
from app.audit import record_change
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import N_
from app.pagination import Keyset
from app.subjects import register_subject_name
from app.workflow import fire
from cases import kinds, notices
from cases.kinds import Classification
from cases.lifecycle import PERSON, State
from cases.models import Case, CaseMessage
from cases.steps import caller_role

register_subject_name(
    "case",
    lambda case_id: db.session.scalar(sa.select(Case.reference).where(Case.id == case_id)),
)
NOT_CLOSED = N_("A case can be rated once it is answered.")
NOT_PUBLISHABLE = N_("Only an answered suggestion or comment can be published.")


def get_case(actor: User, case_id: int, *, lock: bool = False) -> tuple[Case, str]:
    """The case and the caller's role on it, if the caller may see it; else 404."""
    query = sa.select(Case).where(Case.id == case_id)
    case = db.session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise NotFound()
    return case, caller_role(case, actor)


def act(actor: User, case_id: int, action: str, data: dict[str, Any]) -> Case:
    """Take `action` on the case (`cases.lifecycle`). A second `reopen` escalates instead."""
    case, _ = get_case(actor, case_id, lock=True)
    if action == "reopen" and case.reopen_count:
        action = "escalate"
    fire(case, action, actor, **data)
    return case


QUEUE_ORDER = (Case.sla_due_date.is_(None), Case.sla_due_date, Case.id)


def cases_query(actor: User, filters: dict[str, Any]) -> Keyset:
    """Applicants: their cases, newest first. Staff: their authority's queue by due date (none
    last), then id; confidential cases only of their department (admins: all). Paged by page
    or by cursor (`app.pagination.KeysetPage`)."""
    # What the list shows of each case, in the same statement (no load per row).
    query = sa.select(Case).options(
        joinedload(Case.authority), joinedload(Case.service), joinedload(Case.department)
    )
    if filters.get("kind"):
        query = query.where(Case.kind == filters["kind"])
    if filters.get("state"):
        query = query.where(Case.state == filters["state"])
    if actor.role == Role.APPLICANT:
        mine = query.where(Case.person_id == actor.id)
        return Keyset(mine, (Case.id,), "cases.mine", descending=True)
    query = query.where(Case.authority_id == actor.authority_id)
    if actor.role != Role.ADMIN:
        query = query.where(
            sa.or_(
                Case.classification != Classification.CONFIDENTIAL.value,
                Case.department_id == actor.department_id,
                Case.assignee_id == actor.id,
            )
        )
    if filters.get("department"):
        found = kinds.department(actor.authority_id, filters["department"])
        query = query.where(Case.department_id == found.id)
    return Keyset(query, QUEUE_ORDER, "cases.queue")


def messages_query(actor: User, case_id: int) -> sa.Select:
    case, _ = get_case(actor, case_id)
    return sa.select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)


def add_message(actor: User, case_id: int, body: str) -> CaseMessage:
    """Write in the case's thread. A message from the person tells the assignee (the heads of
    the handling department when nobody is assigned); one from staff tells the person."""
    case, role = get_case(actor, case_id)
    message = CaseMessage(case_id=case.id, author_id=actor.id, author_role=role, body=body)
    db.session.add(message)
    db.session.flush()
    extra = {"body": body}
    # The reply target runs from the person's first unanswered message; staff writing answer it.
    if role == PERSON:
        case.reply_due_since = case.reply_due_since or message.created_at
    else:
        case.reply_due_since = None
        case.last_action_at = message.created_at  # a staff action: a new idle spell
    if role == PERSON:
        if case.assignee is not None:
            notices.tell_staff(case, case.assignee, "case_message", extra)
        else:
            notices.tell_heads(case, "case_message", extra)
    else:
        recipient = case.recipient
        if recipient is not None:
            notices.tell_staff(case, recipient, "case_message", extra)
    record_change(
        "case.message",
        "case",
        case.reference,
        authority_id=case.authority_id,
        after={"message_id": message.id, "author_role": role},
    )
    return message


def rate_case(actor: User, case_id: int, score: int, comment: str | None):
    """The person rates the answer of their case, once (409 `already_rated`)."""
    case, role = get_case(actor, case_id)
    if role != PERSON:
        raise NotFound()
    if case.state not in (State.ANSWERED, State.CLOSED):
        raise Conflict(code="case_not_closed", detail=NOT_CLOSED)
    return satisfaction.rate(
        case.kind,
        case.id,
        case.reference,
        person_id=actor.id,
        authority_id=case.authority_id,
        service_id=case.service_id,
        department_id=case.department_id,
        score=score,
        comment=comment,
    )


def moderate(actor: User, case_id: int, decision: str, reason: str | None) -> Case:
    """Publish an answered suggestion or comment with its answer, or hide it with a reason
    (`app.moderation`: department heads and admins of its authority)."""
    case = db.session.get(Case, case_id)
    if case is None or actor.role == Role.APPLICANT or actor.authority_id != case.authority_id:
        raise NotFound()
    if case.kind not in kinds.PUBLISHABLE or case.state not in (State.ANSWERED, State.CLOSED):
        raise Conflict(code="not_publishable", detail=NOT_PUBLISHABLE)
    if decision == "publish":
        moderation.publish(case, actor, subject_type="case", subject_id=case.reference)
    else:
        moderation.hide(case, actor, reason, subject_type="case", subject_id=case.reference)
    return case


def published_query(authority: str | None) -> sa.Select:
    """Suggestions and comments a moderator published, newest answer first."""
    query = (
        sa.select(Case)
        .options(joinedload(Case.authority))
        .where(Case.kind.in_([k.value for k in kinds.PUBLISHABLE]), Case.shown_publicly())
    )
    if authority:
        query = query.where(Case.authority.has(code=authority.upper()))
    return query.order_by(Case.answered_at.desc(), Case.id.desc())


def read_with_token(reference: str, token: str | None) -> Case:
    """An inquiry read with the secret token it was filed with; 404 for any other reference or
    token (and without one)."""
    case = db.session.scalar(sa.select(Case).where(Case.reference == reference))
    if case is None or not case.access_token_hash or not token:
        raise NotFound()
    given = hashlib.sha256(token.encode()).hexdigest()
    if not hmac.compare_digest(given, case.access_token_hash):
        raise NotFound()
    return case
