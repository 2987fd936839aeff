"""Reply targets on application threads: an applicant's message tells the staff who must answer
(the assignee, or the department heads when nobody is assigned) and is due an answer within one
working day; unanswered past it, the escalation ladder tells the position the service names (the
licensing department's head) once; a staff reply in time answers it, and nothing is escalated."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.catalogue.models import Service
from app.escalation.models import Escalation
from app.escalation.sweep import escalate
from app.extensions import db
from app.notifications.models import Notification
from app.timeutil import MUSCAT
from licensing.models import ApplicationMessage
from licensing.services import create_application
from tests.clock import Clock
from tests.escalation.rows import hold_level_two
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import put_in_state

# Thursday 17 December 2026, 09:00 in Muscat. Friday and Saturday are the weekend: one working
# day after Thursday is Sunday the 20th, the day by which a reply is due.
WRITTEN = dt.datetime(2026, 12, 17, 9, tzinfo=MUSCAT)
REPLY_DUE = "2026-12-20"
ON_THE_DUE_DAY = dt.datetime(2026, 12, 20, 16, tzinfo=MUSCAT)
THE_DAY_AFTER = dt.datetime(2026, 12, 21, 7, tzinfo=MUSCAT)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(monkeypatch)
    clock.stop_at(WRITTEN)
    return clock


@pytest.fixture
def people(app, client):
    applicant, applicant_h = applicant_headers(client)
    head, head_h = staff_headers(app, client, "department_head", "NBG")
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    staff_headers(app, client, "department_head", "ABG")  # another authority's: never told
    hold_level_two(app, "NBG-LEASE-REGISTER", head["id"])
    return {
        "applicant": applicant["id"],
        "applicant_h": applicant_h,
        "head": head["id"],
        "head_h": head_h,
        "inspector": inspector["id"],
        "inspector_h": inspector_h,
    }


def _in_review(app, applicant_id: int) -> int:
    with app.app_context(), uow.transaction():
        owner = db.session.get(User, applicant_id)
        service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
        application = create_application(owner, service, {})
        put_in_state(application.id, "in_review")
        return application.id


def _write(client, headers, application_id, body):
    answer = client.post(
        f"/api/v1/applications/{application_id}/messages", json={"body": body}, headers=headers
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _notices(app, event: str) -> list[tuple[int, str, str]]:
    """(recipient, channel, application reference) of every notice of `event`."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.user_id, Notification.channel, Notification.subject_id)
            .where(Notification.event == event)
            .order_by(Notification.user_id, Notification.channel)
        )
        return [(row[0], str(row[1]), row[2]) for row in rows]


def _overdue(app) -> list[tuple]:
    """(reference, level, idle days, spell start, fired at) of the messages escalated."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Escalation.reference,
                Escalation.level,
                Escalation.idle_days,
                Escalation.spell_start,
                Escalation.fired_at,
            ).where(Escalation.kind == "message")
        )
        return [tuple(row) for row in rows]


def _reference(app, application_id: int) -> str:
    from licensing.models import Application

    with app.app_context():
        return db.session.get(Application, application_id).reference


def _sweep(app, clock, moment) -> None:
    clock.stop_at(moment)
    with app.app_context(), uow.transaction():
        escalate()


def test_an_unanswered_message_is_escalated_once_past_its_target(app, client, clock, people):
    application_id = _in_review(app, people["applicant"])
    reference = _reference(app, application_id)
    message = _write(client, people["applicant_h"], application_id, "متى تتم المعاينة؟")

    # Nobody is assigned: the authority's department head is told, in-app and by e-mail.
    assert _notices(app, "message_received") == [
        (people["head"], "email", reference),
        (people["head"], "in_app", reference),
    ]
    with app.app_context():
        stored = db.session.get(ApplicationMessage, message["id"])
        assert stored.reply_due_date.isoformat() == REPLY_DUE

    _sweep(app, clock, ON_THE_DUE_DAY)  # still within the target
    assert _overdue(app) == []
    _sweep(app, clock, THE_DAY_AFTER)
    assert _notices(app, "sla_escalated") == [
        (people["head"], "email", reference),
        (people["head"], "in_app", reference),
        (people["head"], "sms", reference),
    ]
    _sweep(app, clock, THE_DAY_AFTER + dt.timedelta(days=1))  # once, not every day
    assert len(_notices(app, "sla_escalated")) == 3
    # Written Thursday 17th, due Sunday 20th: on Monday 21st two working days since (Sunday,
    # Monday), level 2, the spell starting at the message.
    assert _overdue(app) == [(reference, 2, 2, WRITTEN, THE_DAY_AFTER)]


def test_a_reply_in_time_answers_the_message_and_nothing_escalates(app, client, clock, people):
    application_id = _in_review(app, people["applicant"])
    reference = _reference(app, application_id)
    assigned = client.put(
        f"/api/v1/applications/{application_id}/assignment",
        json={"assignee_id": people["inspector"]},
        headers=people["head_h"],
    )
    assert assigned.status_code == 200, assigned.get_json()
    first = _write(client, people["applicant_h"], application_id, "Is the deed enough?")
    second = _write(client, people["applicant_h"], application_id, "I also have the plan.")

    # Assigned: the inspector is told (of each message), the head is not.
    assert _notices(app, "message_received") == [
        (people["inspector"], "email", reference),
        (people["inspector"], "email", reference),
        (people["inspector"], "in_app", reference),
        (people["inspector"], "in_app", reference),
    ]
    clock.stop_at(ON_THE_DUE_DAY)
    _write(client, people["inspector_h"], application_id, "Yes, the deed is enough.")
    with app.app_context():
        answered = {
            m.id: m.answered_at
            for m in db.session.scalars(
                sa.select(ApplicationMessage).where(
                    ApplicationMessage.id.in_([first["id"], second["id"]])
                )
            )
        }
    assert answered == {first["id"]: ON_THE_DUE_DAY, second["id"]: ON_THE_DUE_DAY}

    _sweep(app, clock, THE_DAY_AFTER)
    assert _overdue(app) == []
