"""The audit log of applications: transitions with their before and after states, uploads,
thread messages, and licences that expire."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import uow
from app.audit import AuditEntry
from app.extensions import db
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application, Licence
from licensing.register import expire_licences
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, put_in_state, upload


def _entries(app, action) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        db.session.expunge_all()
        return entries


def test_an_allowed_transition_is_audited_with_its_before_and_after_state(app, client):
    _, owner = applicant_headers(client)
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    created = client.post("/api/v1/leases", json=LEASE, headers=owner).get_json()
    with app.app_context():
        application = db.session.get(Application, created["id"])
        put_in_state(application.id, "submitted")  # set-up
        authority_id = application.authority_id
        db.session.commit()

    assert act(client, inspector_h, created["id"], "start_review").status_code == 200

    [entry] = _entries(app, "application.start_review")
    assert (entry.subject_type, entry.subject_id) == ("application", created["reference"])
    assert entry.before == {"state": "submitted"} and entry.after == {"state": "in_review"}
    assert entry.actor_id == inspector["id"] and entry.actor_role == "inspector"
    assert entry.authority_id == authority_id


def test_uploads_and_messages_are_audited(app, client):
    owner, owner_h = applicant_headers(client)
    _, inspector_h = staff_headers(app, client, "inspector", "NBG")
    created = client.post("/api/v1/leases", json=LEASE, headers=owner_h).get_json()
    with app.app_context():
        code = db.session.get(Application, created["id"]).service.required_documents[0].code

    document = upload(client, owner_h, created["id"], code).get_json()
    client.post(
        f"/api/v1/applications/{created['id']}/messages", json={"body": "When?"}, headers=owner_h
    )
    reply = client.post(
        f"/api/v1/applications/{created['id']}/messages",
        json={"body": "This week"},
        headers=inspector_h,
    ).get_json()

    [uploaded] = _entries(app, "application.document_uploaded")
    assert uploaded.subject_id == created["reference"] and uploaded.actor_id == owner["id"]
    assert uploaded.after == {
        "document_id": document["id"],
        "document_code": code,
        "sha256": document["sha256"],
        "size": document["size"],
    }
    messages = _entries(app, "application.message_added")
    assert [(m.actor_role, m.after["author_role"]) for m in messages] == [
        ("applicant", "applicant"),
        ("inspector", "inspector"),
    ]
    assert messages[1].after["message_id"] == reply["id"]
    assert all("This week" not in str(m.after) for m in messages)  # the thread keeps the text


def test_an_expiring_licence_is_audited(app, client):
    _, owner = applicant_headers(client)
    _, head = staff_headers(app, client, "department_head", "NBG")
    created = client.post("/api/v1/leases", json=LEASE, headers=owner).get_json()
    with app.app_context():
        put_in_state(created["id"], "approved")  # set-up
        db.session.commit()
    number = act(client, head, created["id"], "issue").get_json()["licence_number"]
    with app.app_context():
        licence = db.session.scalar(sa.select(Licence).where(Licence.number == number))
        licence.valid_until = yesterday = utcnow().astimezone(MUSCAT).date() - dt.timedelta(days=1)
        db.session.commit()
        with uow.transaction():  # the job's unit of work
            assert expire_licences() == 1

    [entry] = _entries(app, "licence.expired")
    assert (entry.subject_type, entry.subject_id) == ("licence", number)
    assert entry.before == {"state": "active", "valid_until": yesterday.isoformat()}
    assert entry.after == {"state": "expired"} and entry.actor_id is None
