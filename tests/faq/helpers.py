"""Entries and announcements in one line, and the audit rows they leave."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db

FAQ = "/api/v1/faq"
EN = {"Accept-Language": "en"}


def entry_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "question_ar": "كيف أجدد رخصة البلدية؟",
        "question_en": "How do I renew a municipal licence?",
        "answer_ar": "قدّم طلب التجديد إلكترونيًا عبر البوابة قبل انتهاء الرخصة.",
        "answer_en": "Apply for the renewal online through the portal before the licence expires.",
    }
    data.update(overrides)
    return data


def propose(client, headers, **overrides: Any) -> dict[str, Any]:
    response = client.post(FAQ, json=entry_data(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def published(client, author, moderator, **overrides: Any) -> dict[str, Any]:
    entry = propose(client, author, **overrides)
    response = client.post(f"{FAQ}/{entry['id']}/publish", headers=moderator)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def audit_rows(app, subject_type: str, subject_id: object) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry)
                .where(
                    AuditEntry.subject_type == subject_type,
                    AuditEntry.subject_id == str(subject_id),
                )
                .order_by(AuditEntry.id)
            )
        )
