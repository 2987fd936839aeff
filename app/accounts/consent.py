"""Consent to optional processing (Oman's Personal Data Protection Law): asked for explicitly,
recorded with its purpose, the version of the text the user was shown, the time and address,
withdrawable at any time, and checked where the processing happens.

The one optional processing the product does is `marketing_sms`: news of an authority sent by
SMS to the people who asked for it (`faq.announcements`, `sms_subscribers`). Everything else we
process a service needs (an applicant's own notices, a complaint forwarded to the authority that
handles it), and asks no consent beyond the terms.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from app.accounts.consent_models import Consent
from app.accounts.models import User
from app.audit import record_change
from app.errors import NotFound
from app.extensions import db
from app.i18n import N_
from app.timeutil import real_utcnow

MARKETING_SMS = "marketing_sms"
# purpose -> (the version of its text, Arabic, English): a new text is a new version, and a
# consent names the version its user was shown.
PURPOSES = {
    MARKETING_SMS: (
        "2026-12",
        "أوافق على أن تصلني أخبار الجهات وإعلاناتها برسائل نصية على هاتفي المسجل، "
        "وأستطيع سحب موافقتي في أي وقت.",
        "I agree to receive the authorities' news and announcements by SMS on my registered "
        "phone; I can withdraw this at any time.",
    ),
}
UNKNOWN_PURPOSE = N_("There is no such purpose of consent.")


def _live(user_id: int, purpose: str) -> Consent | None:
    return db.session.scalar(
        sa.select(Consent)
        .where(
            Consent.user_id == user_id,
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
        )
        .with_for_update()
    )


def consents_of(user: User) -> list[dict[str, Any]]:
    """Each purpose with its text, whether it is granted now, and its history."""
    rows = db.session.scalars(
        sa.select(Consent).where(Consent.user_id == user.id).order_by(Consent.id)
    ).all()
    answer = []
    for purpose, (version, text_ar, text_en) in PURPOSES.items():
        history = [r for r in rows if r.purpose == purpose]
        live = next((r for r in history if r.withdrawn_at is None), None)
        answer.append(
            {
                "purpose": purpose,
                "notice_version": version,
                "text_ar": text_ar,
                "text_en": text_en,
                "granted": live is not None,
                "history": history,
            }
        )
    return answer


def set_consent(user: User, purpose: str, granted: bool) -> dict[str, Any]:
    """Grant (a new live consent, naming the current text) or withdraw (the live one ends now);
    doing what is already so changes nothing. 404 for an unknown purpose. The caller commits."""
    if purpose not in PURPOSES:
        raise NotFound(code="unknown_purpose", detail=UNKNOWN_PURPOSE)
    now = real_utcnow()
    live = _live(user.id, purpose)
    if granted and live is None:
        db.session.add(
            Consent(
                user_id=user.id,
                purpose=purpose,
                notice_version=PURPOSES[purpose][0],
                granted_at=now,
                granted_from=request.remote_addr if has_request_context() else None,
            )
        )
        record_change(
            "consent.granted", "user", user.id, authority_id=None, after={"purpose": purpose}
        )
    elif not granted and live is not None:
        live.withdrawn_at = now
        record_change(
            "consent.withdrawn", "user", user.id, authority_id=None, after={"purpose": purpose}
        )
    db.session.flush()
    return next(c for c in consents_of(user) if c["purpose"] == purpose)


def consenting(purpose: str) -> sa.Select:
    """The active users with a live consent to `purpose`: where the processing is done, so that
    a withdrawal stops it from then on."""
    return (
        sa.select(User)
        .join(Consent, Consent.user_id == User.id)
        .where(
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
            User.is_active.is_(True),
        )
        .order_by(User.id)
    )
