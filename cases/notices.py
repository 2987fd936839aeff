"""The notices of cases, in the recipient's language, through the outbox (`notify`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.extensions import db
from app.notifications.services import ALL_CHANNELS, notify
from cases.contacts import channels_of
from cases.models import Case

KIND_WORDS = {
    "complaint": ("شكوى", "complaint"),
    "suggestion": ("مقترح", "suggestion"),
    "comment": ("ملاحظة", "comment"),
    "inquiry": ("استفسار", "inquiry"),
    "ticket": ("بلاغ دعم فني", "support ticket"),
}
NOBODY_ASSIGNED = "—"


def context_of(case: Case, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    kind_ar, kind_en = KIND_WORDS[case.kind]
    context = {
        "reference": case.reference,
        "kind_ar": kind_ar,
        "kind_en": kind_en,
        "due_date": case.sla_due_date.isoformat() if case.sla_due_date else "",
        "answer": case.answer or "",
    }
    return {**context, **(extra or {})}


def tell_person(case: Case, event: str, result: dict[str, Any] | None = None) -> None:
    """The case's person is told: an account on every channel, a contact by what it gave."""
    recipient = case.recipient
    if recipient is None:
        return
    extra: dict[str, Any] = {}
    forwarded = (result or {}).get("forwarded_to")
    if forwarded is not None:
        extra = {
            "authority_ar": forwarded.authority.name_ar,
            "authority_en": forwarded.authority.name_en,
            "new_reference": forwarded.reference,
        }
    channels = (
        ALL_CHANNELS if case.person_id else channels_of(case.contact_email, case.contact_phone)
    )
    notify(
        recipient,
        event,
        context_of(case, extra),
        subject=("case", case.reference),
        authority_id=case.authority_id,
        channels=channels,
    )


def heads_of(case: Case) -> list[User]:
    """The active heads of the handling department; the authority's heads when it has none."""
    query = sa.select(User).where(
        User.is_active,
        User.authority_id == case.authority_id,
        User.role == Role.DEPARTMENT_HEAD,
    )
    heads = list(db.session.scalars(query.where(User.department_id == case.department_id)))
    return heads or list(db.session.scalars(query.order_by(User.id)))


def tell_heads(case: Case, event: str, extra: dict[str, Any]) -> None:
    for head in heads_of(case):
        tell_staff(case, head, event, extra)


def tell_staff(case: Case, user: User, event: str, extra: dict[str, Any]) -> None:
    notify(
        user,
        event,
        context_of(case, extra),
        subject=("case", case.reference),
        authority_id=case.authority_id,
    )
