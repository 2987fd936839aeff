"""Filing and moving cases in tests, the way clients do."""

from __future__ import annotations

import io

import sqlalchemy as sa

from app import uow
from app.audit.models import AuditEntry
from app.catalogue.models import Service
from app.extensions import db
from app.notifications.models import Notification

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

COMPLAINT = {
    "authority": "NBG",
    "subject": "Construction waste dumped in the wadi",
    "description": "A contractor dumps construction waste in the wadi behind the market.",
    "category": "environment",
    "incident_place": "Sohar, Wadi Al Jizi, behind the fish market",
    "incident_at": "2026-11-30T16:30:00",
    "party_kind": "company",
    "party_name": "Al Wadi Contracting LLC",
    "party_cr_number": "1234567",
}


def file(client, headers, path, body, status=201):
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def act(client, headers, case_id, action, status=200, **body):
    response = client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def read(client, headers, case_id):
    return client.get(f"/api/v1/cases/{case_id}", headers=headers)


def upload(client, headers, case_id, content=PNG, filename="photo.png"):
    return client.post(
        f"/api/v1/cases/{case_id}/evidence",
        data={"file": (io.BytesIO(content), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def notices(app, user_id, event=None):
    """(event, channel) of every notice written for the user, in order."""
    with app.app_context():
        query = sa.select(Notification.event, Notification.channel).where(
            Notification.user_id == user_id
        )
        if event:
            query = query.where(Notification.event == event)
        return [(e, str(c)) for e, c in db.session.execute(query.order_by(Notification.id))]


def audit_actions(app, reference):
    with app.app_context():
        return [
            (action, authority_id)
            for action, authority_id in db.session.execute(
                sa.select(AuditEntry.action, AuditEntry.authority_id)
                .where(AuditEntry.subject_type == "case", AuditEntry.subject_id == reference)
                .order_by(AuditEntry.id)
            )
        ]


def set_escalation(app, code, days):
    with app.app_context(), uow.transaction():
        service = db.session.scalar(sa.select(Service).where(Service.code == code))
        previous = service.escalation_days
        service.escalation_days = days
        return previous


def authority_id(app, code):
    from app.authorities.models import Authority

    with app.app_context():
        return db.session.scalar(sa.select(Authority.id).where(Authority.code == code))


def error_fields(response):
    return {e["field"] for e in response.get_json()["errors"]}
