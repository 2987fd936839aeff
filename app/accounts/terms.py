"""Terms of use and privacy notice: versioned per authority, accepted before use, accepted again
after a change (the Ministry's agreement: using the portal is acceptance of its terms; Oman's
Personal Data Protection Law: consent with proof).

- Each authority publishes its texts in both languages; a new version (`publish`) becomes the
  current one at once and the earlier stays on record. `GET /api/v1/terms` is public.
- Registration is acceptance of every authority's current version (the portal shows them on
  its registration page): `register_applicant` records one acceptance per version, with the
  time, the client's address and user agent.
- After a new version, an applicant's next write (any POST, PUT, PATCH or DELETE but signing
  in and out, password changes and resets, correcting one's own details and accepting the
  terms) is refused with 403 `terms_not_accepted`, naming the versions to accept, until they
  accept them (`POST /api/v1/me/terms`). Whether any is pending is read with the caller's
  session, in the same statement (`app.access`): no statement more per request.
- Staff are not asked: their use is their employment's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from app.accounts.models import User
from app.accounts.terms_models import TermsAcceptance, TermsVersion
from app.audit import record_change
from app.authorities.models import Authority
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.i18n import N_
from app.timeutil import real_utcnow

TERMS_NOT_ACCEPTED = N_(
    "The terms of use or privacy notice changed: read and accept them (POST /api/v1/me/terms) "
    "before going on."
)
NOT_CURRENT = N_("This is not a current version of the terms: accept the current one.")
UNKNOWN_AUTHORITY = N_("There is no authority with this code.")


def terms_exempt(view: Callable) -> Callable:
    """Let an applicant with terms to accept through: signing in and out, passwords, their own
    details, accepting the terms."""
    view._terms_exempt = True
    return view


def pending_terms_exist(user_id_column) -> sa.ColumnElement[bool]:
    """Whether a current version exists that the user (by id column) has not accepted: one
    EXISTS over the few current versions, for the session's statement."""
    accepted = (
        sa.exists()
        .where(
            TermsAcceptance.user_id == user_id_column,
            TermsAcceptance.terms_version_id == TermsVersion.id,
        )
        .correlate_except(TermsAcceptance)
    )
    return (
        sa.exists()
        .where(TermsVersion.is_current.is_(True), ~accepted)
        .correlate_except(TermsVersion)
    )


def refuse_if_pending(user: User) -> None:
    """403 `terms_not_accepted` naming the versions to accept."""
    pending = pending_versions(user)
    raise Forbidden(
        code="terms_not_accepted",
        detail=TERMS_NOT_ACCEPTED,
        extra={
            "pending": [
                {"id": v.id, "authority": v.authority.code, "version": v.version} for v in pending
            ]
        },
    )


def current_versions(authority_code: str | None = None) -> sa.Select:
    """The current version of every authority's terms (or of one), in authority order."""
    query = (
        sa.select(TermsVersion)
        .join(Authority, Authority.id == TermsVersion.authority_id)
        .where(TermsVersion.is_current.is_(True))
        .order_by(Authority.id)
    )
    if authority_code:
        authority = _authority(authority_code)
        query = query.where(TermsVersion.authority_id == authority.id)
    return query


def versions_of(authority_code: str) -> sa.Select:
    """Every published version of an authority's terms, newest first."""
    authority = _authority(authority_code)
    return (
        sa.select(TermsVersion)
        .where(TermsVersion.authority_id == authority.id)
        .order_by(TermsVersion.version.desc())
    )


def pending_versions(user: User) -> list[TermsVersion]:
    accepted = sa.select(TermsAcceptance.terms_version_id).where(TermsAcceptance.user_id == user.id)
    return list(
        db.session.scalars(
            sa.select(TermsVersion)
            .where(TermsVersion.is_current.is_(True), TermsVersion.id.not_in(accepted))
            .order_by(TermsVersion.authority_id)
        )
    )


def acceptances_of(user: User) -> list[TermsAcceptance]:
    return list(
        db.session.scalars(
            sa.select(TermsAcceptance)
            .where(TermsAcceptance.user_id == user.id)
            .order_by(TermsAcceptance.accepted_at, TermsAcceptance.id)
        )
    )


def accept(
    user: User, version_ids: Iterable[int] | None, how: str = "asked"
) -> list[TermsAcceptance]:
    """Record the user's acceptance of these current versions (all the pending ones when None).
    409 `not_current` for a version that is not current; one already accepted is kept as it was.
    The caller commits."""
    pending = {v.id: v for v in pending_versions(user)}
    if version_ids is None:
        wanted = list(pending)
    else:
        wanted = list(dict.fromkeys(version_ids))
        current = set(
            db.session.scalars(
                sa.select(TermsVersion.id).where(
                    TermsVersion.id.in_(wanted), TermsVersion.is_current.is_(True)
                )
            )
        )
        if set(wanted) - current:
            raise Conflict(code="not_current", detail=NOT_CURRENT)
        wanted = [i for i in wanted if i in pending]
    now = real_utcnow()
    address = request.remote_addr if has_request_context() else None
    agent = (request.user_agent.string or None) if has_request_context() else None
    rows = [
        TermsAcceptance(
            user_id=user.id,
            terms_version_id=version_id,
            accepted_at=now,
            address=address,
            user_agent=agent[:300] if agent else None,
            how=how,
        )
        for version_id in wanted
    ]
    db.session.add_all(rows)
    db.session.flush()
    if rows and how != "registration":  # at registration the acceptances are the record
        record_change(
            "terms.accepted",
            "user",
            user.id,
            authority_id=None,
            after={"terms_version_ids": [r.terms_version_id for r in rows], "address": address},
        )
    return rows


def publish(admin: User, data: dict[str, Any]) -> TermsVersion:
    """A new version of the admin's authority's terms: it is current at once, so every
    applicant is asked to accept it before their next write. The caller commits."""
    now = real_utcnow()
    previous = db.session.scalar(
        sa.select(TermsVersion)
        .where(TermsVersion.authority_id == admin.authority_id, TermsVersion.is_current.is_(True))
        .with_for_update()
    )
    number = (
        db.session.scalar(
            sa.select(sa.func.max(TermsVersion.version)).where(
                TermsVersion.authority_id == admin.authority_id
            )
        )
        or 0
    ) + 1
    if previous is not None:
        previous.is_current = False
        db.session.flush()  # one current version per authority (a unique partial index)
    version = TermsVersion(
        authority_id=admin.authority_id,
        version=number,
        published_at=now,
        published_by_id=admin.id,
        is_current=True,
        **{k: data[k] for k in TEXT_FIELDS},
        summary_ar=data.get("summary_ar", ""),
        summary_en=data.get("summary_en", ""),
    )
    db.session.add(version)
    db.session.flush()
    record_change(
        "terms.published",
        "terms_version",
        version.id,
        authority_id=admin.authority_id,
        after={"version": number, "replaces": previous.id if previous else None},
    )
    return version


TEXT_FIELDS = ("terms_ar", "terms_en", "privacy_ar", "privacy_en")


def _authority(code: str) -> Authority:
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code.upper()))
    if authority is None:
        raise NotFound(code="unknown_authority", detail=UNKNOWN_AUTHORITY)
    return authority
