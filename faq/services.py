"""Use cases of the FAQ: staff propose and edit entries, moderators publish and hide them, the
public lists and searches what is published.

Every write goes into the caller's unit of work (`app.uow`), which commits; nothing here commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.audit import record_change
from app.authorities.models import Authority
from app.catalogue.caching import catalogue_version
from app.catalogue.models import Service
from app.catalogue.search import normalise_arabic
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.moderation import ModerationState, hide, publish
from faq.models import FaqEntry

SUBJECT = "faq_entry"
# Who writes entries: inspectors propose what the public keeps asking (they answer it); the
# moderators (department heads and admins) also write, and alone publish and hide.
AUTHORS = (Role.INSPECTOR, Role.DEPARTMENT_HEAD, Role.ADMIN)
# Staff who read their authority's drafts and hidden entries: the authors, and auditors.
READERS = (*AUTHORS, Role.AUDITOR)
UNKNOWN_SERVICE = N_("Your authority has no service with this code.")
ONLY_DRAFTS = N_("An inspector may change a draft only; ask a moderator to change this entry.")
TEXT_FIELDS = ("question_ar", "question_en", "answer_ar", "answer_en")


def propose_entry(author: User, data: dict[str, Any]) -> FaqEntry:
    """A new entry of the author's authority, as a draft (`pending`) until a moderator publishes
    it. `service` (a code) must be a service of that authority (422 otherwise)."""
    entry = FaqEntry(authority_id=author.authority_id, created_by_id=author.id)
    _apply(entry, author, data)
    db.session.add(entry)
    db.session.flush()
    record_change(
        "faq.proposed", SUBJECT, entry.id, authority_id=entry.authority_id, after=audit_view(entry)
    )
    return entry


def edit_entry(author: User, entry_id: int, data: dict[str, Any]) -> FaqEntry:
    """Change an entry of the author's authority (404 for any other); an inspector only while it
    is a draft (403 otherwise). Audited with the values before and after; a published entry
    stays published, its new text public at once (a moderator wrote it)."""
    entry = _own_entry(author, entry_id, lock=True)
    if author.role == Role.INSPECTOR and entry.moderation_state != ModerationState.PENDING:
        raise Forbidden(detail=ONLY_DRAFTS)
    before = audit_view(entry)
    _apply(entry, author, data)
    after = audit_view(entry)
    if after != before:
        record_change(
            "faq.edited",
            SUBJECT,
            entry.id,
            authority_id=entry.authority_id,
            before=before,
            after=after,
        )
    return entry


def publish_entry(moderator: User, entry_id: int) -> FaqEntry:
    """Show the entry publicly (a draft, or a hidden one restored): `app.moderation.publish`."""
    entry = _locked(entry_id)
    publish(entry, moderator, subject_type=SUBJECT, subject_id=entry.id)
    return entry


def hide_entry(moderator: User, entry_id: int, reason: str | None) -> FaqEntry:
    """Take the entry out of public view with the reason (required): `app.moderation.hide`.
    It stays, with its text, for staff and in the audit log."""
    entry = _locked(entry_id)
    hide(entry, moderator, reason, subject_type=SUBJECT, subject_id=entry.id)
    return entry


def _locked(entry_id: int) -> FaqEntry:
    entry = db.session.scalar(sa.select(FaqEntry).where(FaqEntry.id == entry_id).with_for_update())
    if entry is None:
        raise NotFound()
    return entry  # the moderation module applies the tenancy rule


def _own_entry(user: User, entry_id: int, *, lock: bool = False) -> FaqEntry:
    query = sa.select(FaqEntry).where(
        FaqEntry.id == entry_id, FaqEntry.authority_id == user.authority_id
    )
    entry = db.session.scalar(query.with_for_update() if lock else query)
    if entry is None:
        raise NotFound()
    return entry


def _apply(entry: FaqEntry, author: User, data: dict[str, Any]) -> None:
    for field in (*TEXT_FIELDS, "position", "source"):
        if field in data:
            setattr(entry, field, data[field])
    if "service" in data:
        entry.service_id = _service_id(author, data["service"])


def _service_id(author: User, code: str | None) -> int | None:
    if code is None:
        return None
    service_id = db.session.scalar(
        sa.select(Service.id).where(
            Service.code == code.upper(), Service.authority_id == author.authority_id
        )
    )
    if service_id is None:
        raise ValidationFailed({"service": [UNKNOWN_SERVICE]})
    return service_id


def _with_details(query: sa.Select) -> sa.Select:
    return query.options(selectinload(FaqEntry.authority), selectinload(FaqEntry.service))


def _filtered(query: sa.Select, filters: dict[str, Any]) -> sa.Select:
    """`authority` and `service` codes; each word of `q` in the Arabic or the English text, both
    in search form, so diacritics, letter variants and English case do not matter."""
    if filters.get("authority"):
        query = query.where(FaqEntry.authority.has(Authority.code == filters["authority"].upper()))
    if filters.get("service"):
        query = query.where(FaqEntry.service.has(Service.code == filters["service"].upper()))
    for word in normalise_arabic(filters.get("q") or "").split():
        query = query.where(
            sa.or_(
                FaqEntry.search_ar.contains(word, autoescape=True),
                FaqEntry.search_en.contains(word, autoescape=True),
            )
        )
    return _with_details(query.order_by(FaqEntry.authority_id, FaqEntry.position, FaqEntry.id))


def public_entries(filters: dict[str, Any]) -> sa.Select:
    """Published entries matching `filters`, by authority, then position."""
    return _filtered(sa.select(FaqEntry).where(FaqEntry.shown_publicly()), filters)


def staff_entries(user: User, filters: dict[str, Any]) -> sa.Select:
    """The entries of the caller's authority in every state (or the `state` asked), to moderate."""
    query = sa.select(FaqEntry).where(FaqEntry.authority_id == user.authority_id)
    if filters.get("state"):
        query = query.where(FaqEntry.moderation_state == filters["state"])
    return _filtered(query, {**filters, "authority": None})


def find_entry(user: User | None, entry_id: int) -> FaqEntry:
    """A published entry for anyone; its authority's `READERS` see it in any state; 404 for
    anyone else."""
    entry = db.session.scalar(_with_details(sa.select(FaqEntry).where(FaqEntry.id == entry_id)))
    if entry is None:
        raise NotFound()
    if entry.publicly_visible or (
        user is not None and user.role in READERS and user.authority_id == entry.authority_id
    ):
        return entry
    raise NotFound()


def newest_published(authority_code: str | None, limit: int) -> list[FaqEntry]:
    """The feed's entries: published ones, the most recently changed first."""
    query = sa.select(FaqEntry).where(FaqEntry.shown_publicly())
    if authority_code:
        query = query.where(FaqEntry.authority.has(Authority.code == authority_code.upper()))
    query = query.order_by(FaqEntry.updated_at.desc(), FaqEntry.id.desc()).limit(limit)
    return list(db.session.scalars(_with_details(query)))


def public_version() -> str:
    """The version of the public FAQ answers (list and feed), for their ETag: the entries, and
    the catalogue's version for the names of their authorities and services."""
    return faq_version() + catalogue_version()


def faq_version() -> str:
    """What the public FAQ answers are made of, as text for an ETag: every entry's id, state and
    last change (one small read; the FAQ is hundreds of rows, not millions)."""
    rows = db.session.execute(
        sa.select(FaqEntry.id, FaqEntry.moderation_state, FaqEntry.updated_at).order_by(FaqEntry.id)
    ).all()
    return repr([tuple(row) for row in rows])


def audit_view(entry: FaqEntry) -> dict[str, Any]:
    """What the audit log keeps of an entry: all an author may change, the text included (the
    log keeps the text as it was when an entry is hidden)."""
    return {
        **{field: getattr(entry, field) for field in TEXT_FIELDS},
        "service_id": entry.service_id,
        "position": entry.position,
        "source": entry.source,
    }
