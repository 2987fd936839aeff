"""The inspector's work queue, the applicant's view and thread, reminders, expiry, verification."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import uow
from app.extensions import db
from app.notifications.models import Notification
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application, Licence
from licensing.register import expire_licences, send_renewal_reminders
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import (
    HEALTH_CARD,
    LEASE,
    MUNICIPAL,
    act,
    family_applicant,
    pay,
    upload_mandatory,
)


def _submitted(app, client, headers, body, segment):
    created = client.post(f"/api/v1/{segment}", json=body, headers=headers).get_json()
    upload_mandatory(app, client, headers, created["id"])
    act(client, headers, created["id"], "submit")
    pay(app, created["id"])
    return created["id"]


def _set(app, application_id, **values):
    with app.app_context():
        application = db.session.get(Application, application_id)
        for key, value in values.items():
            setattr(application, key, value)
        application.move_clock(None, utcnow())  # the stored due date follows the clock
        db.session.commit()


def test_queue_is_sorted_by_due_date_and_filtered(app, client):
    _, owner = family_applicant(client, MUNICIPAL)  # a business: the shop's CR is its own
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    _, abg = staff_headers(app, client, "inspector", "ABG")
    lease = _submitted(app, client, owner, LEASE, "leases")  # 7 working days
    card = _submitted(app, client, owner, HEALTH_CARD, "health-cards")  # 2 working days
    shop = _submitted(app, client, owner, MUNICIPAL, "municipal-licences")  # 3 working days
    _set(app, shop, sla_started_at=utcnow() - dt.timedelta(days=21))  # long overdue

    queue = client.get("/api/v1/applications", headers=inspector_h).get_json()
    assert [a["id"] for a in queue] == [shop, card, lease]
    assert queue[0]["sla"]["due_date"] <= queue[1]["sla"]["due_date"] <= queue[2]["sla"]["due_date"]
    assert client.get("/api/v1/applications", headers=abg).get_json() == []

    breached = client.get("/api/v1/applications?sla_state=breached", headers=inspector_h).get_json()
    assert [a["id"] for a in breached] == [shop]
    by_family = client.get("/api/v1/applications?family=lease", headers=inspector_h).get_json()
    assert [a["id"] for a in by_family] == [lease]
    by_service = client.get(
        "/api/v1/applications?service=NBG-HEALTHCARD-REGISTER", headers=inspector_h
    ).get_json()
    assert [a["id"] for a in by_service] == [card]
    assert client.get("/api/v1/applications?state=draft", headers=inspector_h).get_json() == []

    _, head = staff_headers(app, client, "department_head", "NBG")
    assigned = client.put(
        f"/api/v1/applications/{card}/assignment",
        json={"assignee_id": inspector["id"]},
        headers=head,
    )
    assert assigned.status_code == 200 and assigned.get_json()["assignee"]["id"] == inspector["id"]
    mine = client.get("/api/v1/applications?assignee=me", headers=inspector_h).get_json()
    assert [a["id"] for a in mine] == [card]
    assert [
        a["id"]
        for a in client.get("/api/v1/applications?assignee=none", headers=inspector_h).get_json()
    ] == [shop, lease]
    wrong = client.put(
        f"/api/v1/applications/{card}/assignment", json={"assignee_id": 999999}, headers=head
    )
    assert wrong.status_code == 422
    page = client.get("/api/v1/applications?page_size=2", headers=inspector_h)
    assert len(page.get_json()) == 2 and '"total": 3' in page.headers["X-Pagination"]


def test_applicant_sees_stage_due_date_timeline_and_thread(app, client):
    _, owner = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    application_id = _submitted(app, client, owner, LEASE, "leases")
    act(client, inspector, application_id, "request_info", note="Send the title deed again")

    mine = client.get("/api/v1/applications", headers=owner).get_json()
    assert [a["id"] for a in mine] == [application_id] and mine[0]["state"] == "info_requested"
    detail = client.get(f"/api/v1/applications/{application_id}", headers=owner).get_json()
    assert detail["sla"]["paused"] is True and detail["sla"]["due_date"]
    assert [(e["action"], e["actor_role"]) for e in detail["timeline"]] == [
        ("create", "applicant"),
        ("submit", "applicant"),
        ("request_payment", "system"),
        ("confirm_payment", "system"),
        ("request_info", "inspector"),
    ]
    assert detail["timeline"][-1]["note"] == "Send the title deed again"

    assert (
        client.post(
            f"/api/v1/applications/{application_id}/messages",
            json={"body": "Which page?"},
            headers=owner,
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/applications/{application_id}/messages",
            json={"body": "Page 2"},
            headers=inspector,
        ).status_code
        == 201
    )
    thread = client.get(f"/api/v1/applications/{application_id}/messages", headers=owner).get_json()
    assert [(m["author_role"], m["body"]) for m in thread] == [
        ("applicant", "Which page?"),
        ("inspector", "Page 2"),
    ]
    _, stranger = applicant_headers(client)
    assert (
        client.get(f"/api/v1/applications/{application_id}/messages", headers=stranger).status_code
        == 404
    )


def _issued_licence(app, client):
    user, owner = family_applicant(client, MUNICIPAL)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, head = staff_headers(app, client, "department_head", "NBG")
    application_id = _submitted(app, client, owner, MUNICIPAL, "municipal-licences")
    act(client, inspector, application_id, "approve")
    issued = act(client, head, application_id, "issue").get_json()
    return user, owner, issued["licence_number"]


def test_renewal_reminders_at_30_and_7_days_then_expiry(app, client):
    user, owner, number = _issued_licence(app, client)
    today = utcnow().astimezone(MUSCAT).date()

    def expires_in(days):
        with app.app_context():
            db.session.execute(
                sa.update(Licence)
                .where(Licence.number == number)
                .values(valid_until=today + dt.timedelta(days=days))
            )
            db.session.commit()

    def reminders():
        with app.app_context():
            return db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(
                    Notification.event == "renewal_due",
                    Notification.user_id == user["id"],
                    Notification.channel == "sms",
                )
            )

    with app.app_context(), uow.transaction():  # the job's unit of work
        assert send_renewal_reminders() == 0  # a year away
    expires_in(30)
    with app.app_context(), uow.transaction():  # the job's unit of work
        assert send_renewal_reminders() == 1
        assert send_renewal_reminders() == 0  # once only
    expires_in(7)
    with app.app_context(), uow.transaction():  # the job's unit of work
        assert send_renewal_reminders() == 1
    assert reminders() == 2
    expires_in(-1)
    with app.app_context(), uow.transaction():  # the job's unit of work
        assert expire_licences() == 1
    assert client.get(f"/api/v1/licences/{number}", headers=owner).get_json()["state"] == "expired"


def test_public_verification_shows_only_public_facts(app, client):
    user, owner, number = _issued_licence(app, client)
    with app.app_context():
        code = db.session.scalar(
            sa.select(Licence.verification_code).where(Licence.number == number)
        )
    answer = client.get(f"/api/v1/licences/{number}/verify?code={code}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["valid"] is True and body["number"] == number and body["authority"]["code"] == "NBG"
    text = answer.get_data(as_text=True)
    for private in (user["name"], user["civil_id"], user["email"], user["phone"]):
        assert private not in text
    assert client.get(f"/api/v1/licences/{number}/verify?code=wrong").status_code == 404
    assert client.get(f"/api/v1/licences/NBG-L-1999-000001/verify?code={code}").status_code == 404
