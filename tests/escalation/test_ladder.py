"""The escalation ladder on a fixed clock: which level fires for which item, once per idle spell,
counting working days only.

The calendar around the sweeps (Al Buraimi's and North Al Batinah's): Eid al-Adha is Tuesday 26
to Friday 29 May 2026; Friday and Saturday are the weekend. Counting back from Monday 1 June:
Sunday 31 May is 1 working day idle, 25-30 May are 2, 24 May is 3, 21-23 May are 4, Wednesday
20 May is 5, 19 May 6, 18 May 7, 17 May 8, 14-16 May 9, 13 May 10.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.calendar.services import declare_holiday
from app.escalation.models import Escalation
from app.extensions import db
from licensing.models import ApplicationMessage
from refunds.models import Refund
from tests.escalation.rows import add_application, fired, muscat, sweep
from tests.factories import make_staff

MONDAY = muscat(2026, 6, 1, 7, 0)
STRAY = "ABG-STRAY-ANIMAL-CAPTURE"  # Al Buraimi: escalation after 5 working days
PIT = "ABG-EQUIP-PIT-SWAMP-FILLING"  # 10
LEASE = "NBG-LEASE-REGISTER"  # no escalation threshold


def people(app):
    return {
        "applicant": make_staff(app, "auditor", "ABG")["id"],  # stands in as the applicant
        "inspector": make_staff(app, "inspector", "ABG")["id"],
    }


def test_five_idle_working_days_fire_level_two_once_across_sweeps(app):
    who = people(app)
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 20, 23, 59), reference="A-5")
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 21, 0, 0), reference="A-4")

    assert sweep(app, MONDAY) == 1
    assert sweep(app, MONDAY + dt.timedelta(minutes=15)) == 0
    assert sweep(app, MONDAY + dt.timedelta(hours=5)) == 0
    assert fired(app) == [("application", "A-5", 2, 5)]


def test_weekends_and_holidays_are_not_counted(app):
    who = people(app)
    # 7 calendar days, 2 working days (Eid and the weekend between)
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 25, 10), reference="BEFORE-EID")
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 22, 9), reference="FRIDAY")  # 4
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 16, 9), reference="SATURDAY")
    add_application(app, who["applicant"], PIT, muscat(2026, 5, 14, 8), reference="PIT-9")
    add_application(app, who["applicant"], PIT, muscat(2026, 5, 13, 8), reference="PIT-10")
    add_application(app, who["applicant"], LEASE, muscat(2026, 1, 10, 8), reference="NO-LIMIT")

    assert sweep(app, MONDAY) == 2
    assert sorted(fired(app)) == [
        ("application", "PIT-10", 2, 10),
        ("application", "SATURDAY", 2, 9),
    ]


def test_a_declared_holiday_is_not_counted(app):
    who = people(app)
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 20, 10), reference="A-5")
    admin = make_staff(app, "admin", "ABG")
    with app.app_context(), uow.transaction():
        declare_holiday(
            db.session.get(User, admin["id"]),
            {"date": dt.date(2026, 5, 31), "name_ar": "عطلة", "name_en": "A holiday"},
        )
    assert sweep(app, MONDAY) == 0  # 4 working days now
    assert sweep(app, muscat(2026, 6, 2, 7)) == 1
    assert fired(app) == [("application", "A-5", 2, 5)]


def test_waiting_on_the_applicant_never_escalates(app):
    who = people(app)
    for state in ("info_requested", "payment_pending", "draft", "issued"):
        add_application(app, who["applicant"], STRAY, muscat(2026, 4, 1, 10), state=state)
    assert sweep(app, MONDAY) == 0
    assert fired(app) == []


def test_level_three_fires_a_further_five_working_days_after_level_two(app):
    who = people(app)
    add_application(app, who["applicant"], STRAY, muscat(2026, 5, 20, 10), reference="A-5")
    assert sweep(app, MONDAY) == 1  # level 2 on Monday 1 June
    # Tuesday 2 to Thursday 4 June, Sunday 7: four working days; Monday 8 June the fifth.
    assert sweep(app, muscat(2026, 6, 7, 13)) == 0
    assert sweep(app, muscat(2026, 6, 8, 7)) == 1
    assert sweep(app, muscat(2026, 6, 8, 7, 15)) == 0
    assert fired(app) == [("application", "A-5", 2, 5), ("application", "A-5", 3, 10)]


def test_a_new_spell_lets_the_ladder_climb_again(app):
    who = people(app)
    first = add_application(app, who["applicant"], STRAY, muscat(2026, 5, 20, 10), reference="A")
    assert sweep(app, MONDAY) == 1
    with app.app_context(), uow.transaction():  # someone acts on Tuesday 2 June
        db.session.execute(
            sa.text("UPDATE applications SET last_action_at = :at WHERE id = :id"),
            {"at": muscat(2026, 6, 2, 9), "id": first},
        )
    # 3, 4, 7, 8 June: four working days since; the old spell's level 3 is not due either.
    assert sweep(app, muscat(2026, 6, 8, 7)) == 0
    assert sweep(app, muscat(2026, 6, 9, 7)) == 1  # the fifth
    assert fired(app) == [("application", "A", 2, 5), ("application", "A", 2, 5)]
    with app.app_context():
        spells = db.session.scalars(sa.select(Escalation.spell_start).order_by(Escalation.id))
        assert list(spells) == [muscat(2026, 5, 20, 10), muscat(2026, 6, 2, 9)]


def test_at_risk_tells_the_assignee_then_breached_the_position(app):
    who = people(app)
    # A 5-working-day target started Monday 25 May: 31 May, 1, 2, 3 and 4 June: due Thursday 4.
    add_application(
        app,
        who["applicant"],
        PIT,
        muscat(2026, 5, 25, 10),
        assignee_id=who["inspector"],
        target_days=5,
        due=dt.date(2026, 6, 4),
        reference="AT-RISK",
    )
    assert sweep(app, MONDAY) == 0  # 3 working days left
    assert sweep(app, muscat(2026, 6, 3, 7)) == 1  # one left: at risk
    assert sweep(app, muscat(2026, 6, 4, 7)) == 0  # none left: still at risk, told already
    assert sweep(app, muscat(2026, 6, 7, 7)) == 1  # Sunday 7: breached (idle 6 of 10)
    assert fired(app) == [("application", "AT-RISK", 1, 4), ("application", "AT-RISK", 2, 6)]
    with app.app_context():
        assignee = db.session.scalar(sa.select(Escalation.assignee_id).limit(1))
    assert assignee == who["inspector"]


def test_a_minute_target_is_at_risk_in_its_last_quarter_and_breached_past_its_moment(app):
    who = people(app)
    # 4 working hours from 10:00 on Sunday 31 May (working day 8:00-14:30): due at 14:00.
    add_application(
        app,
        who["applicant"],
        PIT,
        muscat(2026, 5, 31, 10, 0),
        assignee_id=who["inspector"],
        target_minutes=240,
        due_at=muscat(2026, 5, 31, 14, 0),
        reference="HOURS",
    )
    assert sweep(app, muscat(2026, 5, 31, 12, 0)) == 0  # 120 of 240 minutes left
    assert sweep(app, muscat(2026, 5, 31, 12, 59)) == 0  # 61 left: more than a quarter
    assert sweep(app, muscat(2026, 5, 31, 13, 0)) == 1  # 60 left: at risk, the assignee
    assert sweep(app, muscat(2026, 5, 31, 13, 59)) == 0  # still at risk, told already
    assert sweep(app, muscat(2026, 5, 31, 14, 1)) == 1  # past 14:00: breached, the same day
    assert fired(app) == [("application", "HOURS", 1, 0), ("application", "HOURS", 2, 0)]


def test_a_minute_target_due_the_next_morning_is_not_breached_overnight(app):
    who = people(app)
    # 30 working minutes from 14:20 on Sunday 31 May: 10 that day, 20 from 8:00 Monday.
    add_application(
        app,
        who["applicant"],
        PIT,
        muscat(2026, 5, 31, 14, 20),
        assignee_id=who["inspector"],
        target_minutes=30,
        due_at=muscat(2026, 6, 1, 8, 20),
        reference="OVERNIGHT",
    )
    assert sweep(app, muscat(2026, 5, 31, 14, 25)) == 0  # 25 of 30 left
    assert sweep(app, muscat(2026, 5, 31, 20, 0)) == 0  # evening: 20 working minutes left
    assert sweep(app, muscat(2026, 6, 1, 8, 15)) == 1  # 5 left: at risk
    assert sweep(app, muscat(2026, 6, 1, 8, 30)) == 1  # breached
    assert [level for _k, _r, level, _i in fired(app)] == [1, 2]


def test_refunds_cases_tickets_and_unanswered_messages_go_through_the_same_sweep(
    app, client, clock
):
    from app.sla import SlaClock
    from tests.cases.helpers import COMPLAINT, file, set_escalation
    from tests.factories import applicant_headers
    from tests.sla_rows import a_refund

    who = people(app)
    clock.stop_at(muscat(2026, 5, 20, 10))
    _, person = applicant_headers(client)
    case = file(client, person, "complaints", COMPLAINT | {"incident_at": "2026-05-19T16:30:00"})
    set_escalation(app, "NBG-COMPLAINT", 5)
    # North Al Batinah's support ticket: a 1-working-day target, escalation after 1 idle day
    ticket = file(
        client,
        person,
        "tickets",
        {"authority": "NBG", "subject": "Login fails", "description": "Error on sign-in."},
    )
    paid_for = add_application(app, who["applicant"], STRAY, muscat(2026, 5, 31, 9))  # not idle
    with app.app_context(), uow.transaction():
        from licensing.models import Application

        application = db.session.get(Application, paid_for)
        refund = a_refund(application, SlaClock(30).start(muscat(2026, 5, 20, 10)))
        refund.last_action_at = muscat(2026, 5, 20, 10)
        refund_reference, application_reference = refund.reference, application.reference
        db.session.add(
            ApplicationMessage(
                application_id=paid_for,
                author_id=who["applicant"],
                author_role="applicant",
                body="Any news?",
                created_at=muscat(2026, 5, 27, 10),  # on Eid: due the next working day
                reply_due_date=dt.date(2026, 5, 31),
            )
        )
    assert sweep(app, MONDAY) == 4
    assert sorted(fired(app)) == [
        ("case", case["reference"], 2, 5),
        ("case", ticket["reference"], 2, 5),  # breached and idle: level 2, once
        ("message", application_reference, 2, 2),
        ("refund", refund_reference, 2, 5),
    ]
    assert sweep(app, MONDAY + dt.timedelta(minutes=15)) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Refund.last_action_at)) == muscat(2026, 5, 20, 10)
