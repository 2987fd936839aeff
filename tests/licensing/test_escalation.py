"""An application nobody acts on for its service's threshold climbs the escalation ladder to the
position its service names (app.escalation), once per idle spell."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import uow
from app.escalation.models import Escalation
from app.escalation.sweep import escalate
from app.extensions import db
from app.notifications.models import Notification
from licensing.models import Application
from tests.escalation.rows import hold_level_two
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import act, upload


def _days_pass(app, application_id, days):
    """Move the application's clock readings back, as if `days` calendar days had passed."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.last_action_at -= dt.timedelta(days=days)
        for escalation in db.session.scalars(sa.select(Escalation)):
            escalation.spell_start -= dt.timedelta(days=days)
            escalation.fired_at -= dt.timedelta(days=days)
        db.session.commit()


def _escalations(app, user_id):
    with app.app_context():
        return sorted(
            db.session.scalars(
                sa.select(Notification.channel).where(
                    Notification.user_id == user_id, Notification.event == "sla_escalated"
                )
            )
        )


def test_idle_applications_are_escalated_once_per_idle_spell(app, client):
    head, _ = staff_headers(app, client, "department_head", "ABG")
    other_head, _ = staff_headers(app, client, "department_head", "NBG")
    hold_level_two(app, "ABG-STRAY-ANIMAL-CAPTURE", head["id"])
    _, inspector = staff_headers(app, client, "inspector", "ABG")
    _, owner = applicant_headers(client)
    created = client.post(
        "/api/v1/applications",
        json={"service": "ABG-STRAY-ANIMAL-CAPTURE", "details": {"place": "Mahdah"}},
        headers=owner,
    ).get_json()
    assert upload(client, owner, created["id"], "civil_id_copy").status_code == 201
    assert act(client, owner, created["id"], "submit").get_json()["state"] == "submitted"

    with app.app_context(), uow.transaction():
        assert escalate() == 0  # just submitted
    _days_pass(app, created["id"], 4)  # fewer than 5 working days in any 4 days
    with app.app_context(), uow.transaction():
        assert escalate() == 0
    _days_pass(app, created["id"], 6)
    with app.app_context(), uow.transaction():
        assert escalate() == 1
        assert escalate() == 0  # once per idle spell
    assert _escalations(app, head["id"]) == ["email", "in_app", "sms"]
    assert _escalations(app, other_head["id"]) == []

    act(client, inspector, created["id"], "start_review")  # someone acted: a new spell begins
    with app.app_context(), uow.transaction():
        assert escalate() == 0
    _days_pass(app, created["id"], 10)
    with app.app_context(), uow.transaction():
        assert escalate() == 1
    assert len(_escalations(app, head["id"])) == 6


def test_waiting_on_the_applicant_is_not_escalated(app, client):
    staff_headers(app, client, "department_head", "ABG")
    _, inspector = staff_headers(app, client, "inspector", "ABG")
    _, owner = applicant_headers(client)
    created = client.post(
        "/api/v1/applications", json={"service": "ABG-STRAY-ANIMAL-CAPTURE"}, headers=owner
    ).get_json()
    upload(client, owner, created["id"], "civil_id_copy")
    act(client, owner, created["id"], "submit")
    act(client, inspector, created["id"], "start_review")
    act(client, inspector, created["id"], "request_info", note="Where exactly?")
    _days_pass(app, created["id"], 30)
    with app.app_context(), uow.transaction():
        assert escalate() == 0
