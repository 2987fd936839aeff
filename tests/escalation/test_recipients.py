"""Whom the ladder tells, and how: the position the seed names, by exactly the seed's channels,
in each person's language, once; the director at level 3; one level up past an unfilled
position, which is reported; the assignee at level 1.

Al Buraimi's seed: a training request escalates after 5 working days to the Manager of the
Training Section by notice, e-mail and SMS; a request to meet the Governor after 7 to the
Director of the Governor's Office by notice and e-mail only.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.audit import AuditEntry
from app.escalation.models import Escalation
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.templates import render
from app.positions.models import PositionGap
from tests.escalation.rows import add_application, fired, muscat, sweep
from tests.factories import make_staff
from tests.positions.helpers import hold, position

MONDAY = muscat(2026, 6, 1, 7, 0)  # 20 May is 5 working days before (Eid 26-29 May)
TRAINING = "ABG-TRAINING-REQUEST"
MEETING = "ABG-MEETING-GOVERNOR"


def staff(app, role="inspector", language="en") -> int:
    user_id = make_staff(app, role, "ABG", "customer_service")["id"]
    if language != "en":
        with app.app_context(), uow.transaction():
            db.session.get(User, user_id).preferred_language = language
    return user_id


def holds(app, key: str, user_id: int | None) -> int:
    with app.app_context():
        return hold("ABG", key, user_id).id


def notices(app, event=None) -> list[tuple]:
    """(user, reference, channel, language, state) of every notice, in order."""
    with app.app_context():
        query = sa.select(Notification).order_by(Notification.id)
        if event:
            query = query.where(Notification.event == event)
        return [
            (n.user_id, n.subject_id, n.channel.value, n.language, n.state.value)
            for n in db.session.scalars(query)
        ]


def test_the_named_position_is_told_by_exactly_the_seeds_channels_once(app):
    applicant, inspector = staff(app, "auditor"), staff(app)
    manager, director = staff(app), staff(app, language="ar")
    holds(app, "training_section", manager)
    holds(app, "governor_office_director", director)
    add_application(
        app,
        applicant,
        TRAINING,
        muscat(2026, 5, 20, 10),
        assignee_id=inspector,
        reference="TRAIN-1",
    )
    add_application(app, applicant, MEETING, muscat(2026, 5, 18, 10), reference="MEET-1")  # 7

    assert sweep(app, MONDAY) == 2
    for minutes in (15, 30, 45):
        assert sweep(app, MONDAY + dt.timedelta(minutes=minutes)) == 0
    # Delivered after commit by the jobs (to the console here): wait for them, then every row
    # is sent, whenever the job thread got to it.
    assert app.extensions["jobs"].drain(15)
    assert notices(app) == [  # in the items' order
        (manager, "TRAIN-1", "email", "en", "sent"),
        (manager, "TRAIN-1", "sms", "en", "sent"),
        (manager, "TRAIN-1", "in_app", "en", "sent"),
        (director, "MEET-1", "email", "ar", "sent"),
        (director, "MEET-1", "in_app", "ar", "sent"),  # no SMS: the seed says notice and e-mail
    ]
    with app.app_context():
        inspector_name = db.session.get(User, inspector).name
        email = db.session.scalar(
            sa.select(Notification).where(
                Notification.subject_id == "TRAIN-1", Notification.channel == "email"
            )
        )
        expected = render(
            "sla_escalated",
            "en",
            {
                "item_ar": "الطلب",
                "item_en": "Application",
                "reference": "TRAIN-1",
                "service_ar": _service_name(TRAINING, "ar"),
                "service_en": _service_name(TRAINING, "en"),
                "due_date": "—",
                "level": 2,
                "idle_days": 5,
                "assignee": inspector_name,
            },
        )
        assert (email.title, email.body_text, email.body_html) == (
            expected.title,
            expected.text,
            expected.html,
        )
        assert "5 working days" in email.body_text and inspector_name in email.body_text
        audit = dict(
            db.session.execute(
                sa.select(AuditEntry.subject_id, AuditEntry.after).where(
                    AuditEntry.action == "application.escalated"
                )
            ).all()
        )
        told = db.session.execute(
            sa.select(Escalation.reference, Escalation.recipients, Escalation.channels).order_by(
                Escalation.reference
            )
        ).all()
    assert audit["MEET-1"] == {
        "kind": "application",
        "level": 2,
        "idle_days": 7,
        "position": "governor_office_director",
        "recipients": 1,
        "channels": ["in_app", "email"],
        "skipped": [],
    }
    assert [tuple(row) for row in told] == [
        ("MEET-1", [director], ["in_app", "email"]),
        ("TRAIN-1", [manager], ["in_app", "email", "sms"]),
    ]

    assert app.extensions["jobs"].drain()  # the e-mails and SMS, delivered after commit
    assert {state for *_, state in notices(app)} == {"sent"}


def _service_name(code: str, language: str) -> str:
    from app.catalogue.models import Service

    service = db.session.scalar(sa.select(Service).where(Service.code == code))
    return service.name_ar if language == "ar" else service.name_en


def test_an_unfilled_position_goes_one_level_up_and_is_reported(app):
    applicant, head = staff(app, "auditor"), staff(app, "department_head")
    holds(app, "training_section", None)
    holds(app, "department_head:customer_service", head)
    add_application(app, applicant, TRAINING, muscat(2026, 5, 20, 10), reference="TRAIN-2")

    assert sweep(app, MONDAY) == 1
    assert [(user, channel) for user, _, channel, *_ in notices(app)] == [
        (head, "email"),
        (head, "sms"),
        (head, "in_app"),
    ]
    with app.app_context():
        section = position("ABG", "training_section").id
        head_post = position("ABG", "department_head:customer_service").id
        gaps = db.session.execute(sa.select(PositionGap.position_id, PositionGap.level)).all()
        recorded = db.session.execute(sa.select(Escalation.level, Escalation.position_id)).all()
    assert [tuple(g) for g in gaps] == [(section, 2)]
    assert [tuple(r) for r in recorded] == [(2, head_post)]


def test_level_three_tells_the_director(app):
    applicant, manager, director = staff(app, "auditor"), staff(app), staff(app, "admin")
    holds(app, "training_section", manager)
    holds(app, "director", director)
    add_application(app, applicant, TRAINING, muscat(2026, 5, 20, 10), reference="TRAIN-3")

    assert sweep(app, MONDAY) == 1
    assert sweep(app, muscat(2026, 6, 8, 7)) == 1  # 2, 3, 4, 7, 8 June: five more working days
    assert [(user, ref) for user, ref, *_ in notices(app, "sla_escalated")] == [
        (manager, "TRAIN-3"),
        (manager, "TRAIN-3"),
        (manager, "TRAIN-3"),
        (director, "TRAIN-3"),
        (director, "TRAIN-3"),
        (director, "TRAIN-3"),
    ]
    assert fired(app) == [("application", "TRAIN-3", 2, 5), ("application", "TRAIN-3", 3, 10)]


def test_at_risk_tells_the_assignee(app):
    applicant, inspector = staff(app, "auditor"), staff(app, language="ar")
    # A 5-working-day target started Monday 25 May: 31 May, 1, 2, 3, 4 June: due Thursday 4;
    # on Wednesday 3 June one working day is left.
    add_application(
        app,
        applicant,
        TRAINING,
        muscat(2026, 5, 25, 10),
        assignee_id=inspector,
        target_days=5,
        due=dt.date(2026, 6, 4),
        reference="TRAIN-4",
    )
    assert sweep(app, muscat(2026, 6, 3, 7)) == 1
    assert notices(app) == [
        (inspector, "TRAIN-4", "email", "ar", "queued"),
        (inspector, "TRAIN-4", "sms", "ar", "queued"),
        (inspector, "TRAIN-4", "in_app", "ar", "sent"),
    ]
    with app.app_context():
        sms = db.session.scalar(sa.select(Notification).where(Notification.channel == "sms"))
    assert sms.event == "sla_at_risk" and "2026-06-04" in sms.body_text
