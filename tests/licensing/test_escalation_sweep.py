"""The set-based escalation sweep finds what the per-application loop it replaced found, on a
calendar of weekends, Eid holidays and a declared holiday, and writes the same notices.

The day of the sweep is Monday 1 June 2026, 07:00 in Muscat (its cron time). Eid al-Adha is
Tuesday 26 to Friday 29 May; Friday and Saturday are the weekend. Counting back from 1 June:
Sunday 31 May is 1 working day idle, 25-30 May are 2, 24 May is 3, 21-23 May are 4, Wednesday
20 May is 5, 19 May 6, 18 May 7, 14-16 May 9, 13 May 10.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from app import uow
from app.accounts.models import Role, User
from app.audit import AuditEntry
from app.calendar.services import declare_holiday
from app.catalogue.models import Service
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.templates import render
from app.timeutil import MUSCAT
from licensing.escalation import escalate_idle_applications, finding_statement, idle_applications
from licensing.models import Application
from tests.factories import make_staff
from tests.licensing.old_escalation import the_old_loop
from tests.statements import statements

NOW = dt.datetime(2026, 6, 1, 7, 0, tzinfo=MUSCAT)
STRAY = "ABG-STRAY-ANIMAL-CAPTURE"  # escalation after 5 working days, to the department head
GOVERNOR = "ABG-MEETING-GOVERNOR"  # 7
PIT = "ABG-EQUIP-PIT-SWAMP-FILLING"  # 10
PESTS = "ABG-PEST-VECTOR-CONTROL"  # 5, escalated to the inspectors in these tests
LEASE = "NBG-LEASE-REGISTER"  # no escalation
_numbers = itertools.count(1)


def muscat(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=MUSCAT)


# reference: (service, state, last action, escalated at)
APPLICATIONS = {
    "A-5-DAYS": (STRAY, "submitted", muscat(2026, 5, 20, 23, 59), None),
    "A-4-DAYS": (STRAY, "submitted", muscat(2026, 5, 21, 0, 0), None),
    "A-BEFORE-EID": (STRAY, "in_review", muscat(2026, 5, 25, 10), None),  # 5 without Eid
    "A-FRIDAY": (STRAY, "in_review", muscat(2026, 5, 22, 9), None),
    "A-SATURDAY": (STRAY, "inspected", muscat(2026, 5, 16, 9), None),
    "A-LAST-YEAR": (STRAY, "inspection_scheduled", muscat(2025, 12, 10, 9), None),
    "A-NEW-SPELL": (STRAY, "approved", muscat(2026, 5, 1, 10), muscat(2026, 4, 20, 7)),
    "A-SAME-SPELL": (STRAY, "inspected", muscat(2026, 5, 1, 10), muscat(2026, 5, 12, 7)),
    "A-INFO-REQUESTED": (STRAY, "info_requested", muscat(2026, 4, 1, 10), None),
    "A-TO-PAY": (STRAY, "payment_pending", muscat(2026, 4, 1, 10), None),
    "A-DRAFT": (STRAY, "draft", muscat(2026, 4, 1, 10), None),
    "A-ISSUED": (STRAY, "issued", muscat(2026, 4, 1, 10), None),
    "B-7-DAYS": (GOVERNOR, "submitted", muscat(2026, 5, 18, 12), None),
    "B-6-DAYS": (GOVERNOR, "submitted", muscat(2026, 5, 19, 12), None),
    "C-10-DAYS": (PIT, "in_review", muscat(2026, 5, 13, 8), None),
    "C-9-DAYS": (PIT, "in_review", muscat(2026, 5, 14, 8), None),
    "P-PESTS": (PESTS, "submitted", muscat(2026, 5, 3, 8), None),
    "N-NO-THRESHOLD": (LEASE, "submitted", muscat(2026, 1, 10, 8), None),
}
# What the sweep of 1 June escalates, with the idle working days it counts.
ESCALATED = {
    "A-5-DAYS": 5,
    "A-SATURDAY": 9,
    "A-LAST-YEAR": 116,
    "A-NEW-SPELL": 19,
    "B-7-DAYS": 7,
    "C-10-DAYS": 10,
    "P-PESTS": 18,
}


@pytest.fixture
def staff(app):
    """Al Buraimi's department heads (one reads English, one Arabic, one left), an inspector,
    and North Al Batinah's head."""
    people = {
        "head_en": make_staff(app, "department_head", "ABG"),
        "head_ar": make_staff(app, "department_head", "ABG"),
        "head_left": make_staff(app, "department_head", "ABG"),
        "inspector": make_staff(app, "inspector", "ABG"),
        "other_head": make_staff(app, "department_head", "NBG"),
        "applicant": make_staff(app, "auditor", "ABG"),  # stands in as the applicant
    }
    ids = {name: person["id"] for name, person in people.items()}
    with app.app_context(), uow.transaction():
        db.session.execute(
            sa.update(User).where(User.id == ids["head_ar"]).values(preferred_language="ar")
        )
        db.session.execute(
            sa.update(User).where(User.id == ids["head_left"]).values(is_active=False)
        )
        db.session.execute(
            sa.update(Service).where(Service.code == PESTS).values(escalate_to=Role.INSPECTOR.value)
        )
    return ids


def add_applications(app, staff, applications, assignee=None) -> None:
    with app.app_context(), uow.transaction():
        services = {s.code: s for s in db.session.scalars(sa.select(Service))}
        for reference, (code, state, last_action, escalated) in applications.items():
            service = services[code]
            db.session.execute(
                sa.insert(Application).values(
                    reference=reference,
                    authority_id=service.authority_id,
                    service_id=service.id,
                    applicant_id=staff["applicant"],
                    assignee_id=assignee,
                    family=service.family,
                    action=service.action,
                    state=state,
                    details={},
                    fee_baisa=0,
                    required_documents=[],
                    sla_target_days=5,
                    sla_started_at=last_action,
                    sla_paused_at=last_action if state == "info_requested" else None,
                    last_action_at=last_action,
                    escalated_at=escalated,
                )
            )


def sweep(app) -> int:
    with app.app_context(), uow.transaction():
        return escalate_idle_applications(NOW)


def audited(app) -> dict[str, dict]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.subject_id, AuditEntry.after).where(
                AuditEntry.action == "application.escalated"
            )
        )
        return {subject: after for subject, after in rows}


def test_the_sweep_finds_what_the_old_loop_found(app, staff):
    add_applications(app, staff, APPLICATIONS)
    with app.app_context():
        assert the_old_loop(NOW.date()) == ESCALATED
        found = idle_applications(NOW.date())
        assert {row.reference: row.idle_days for row in found} == ESCALATED

    assert sweep(app) == 7
    recipients = {reference: 2 for reference in ESCALATED} | {"P-PESTS": 1}
    assert audited(app) == {
        reference: {"idle_days": days, "recipients": recipients[reference]}
        for reference, days in ESCALATED.items()
    }
    with app.app_context():
        marked = dict(
            db.session.execute(sa.select(Application.reference, Application.escalated_at)).all()
        )
    assert {ref for ref, at in marked.items() if at == NOW} == set(ESCALATED)
    assert marked["A-SAME-SPELL"] == muscat(2026, 5, 12, 7)
    assert sweep(app) == 0  # once per idle spell


def test_each_recipient_gets_the_notices_notify_writes(app, staff):
    with app.app_context():
        inspector = db.session.get(User, staff["inspector"])
        inspector_name = inspector.name
        abg = inspector.authority_id
    add_applications(app, staff, {"A-5-DAYS": APPLICATIONS["A-5-DAYS"]}, staff["inspector"])
    add_applications(app, staff, {"P-PESTS": APPLICATIONS["P-PESTS"]})
    assert sweep(app) == 2
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Notification)
            .where(Notification.event == "escalation")
            .order_by(Notification.id)
        ).all()
        written = [
            (row.user_id, row.subject_id, row.channel.value, row.language, row.state.value)
            for row in rows
        ]
        by_key = {(row.user_id, row.subject_id, row.channel.value): row for row in rows}
    head_en, head_ar, inspector_id = staff["head_en"], staff["head_ar"], staff["inspector"]
    assert written == [
        (head_en, "A-5-DAYS", "email", "en", "queued"),
        (head_en, "A-5-DAYS", "sms", "en", "queued"),
        (head_en, "A-5-DAYS", "in_app", "en", "sent"),
        (head_ar, "A-5-DAYS", "email", "ar", "queued"),
        (head_ar, "A-5-DAYS", "sms", "ar", "queued"),
        (head_ar, "A-5-DAYS", "in_app", "ar", "sent"),
        (inspector_id, "P-PESTS", "email", "en", "queued"),
        (inspector_id, "P-PESTS", "sms", "en", "queued"),
        (inspector_id, "P-PESTS", "in_app", "en", "sent"),
    ]
    stray = {
        "reference": "A-5-DAYS",
        "service_ar": "القبض على الحيوانات السائبة",
        "service_en": "Capture of Stray Animals",
        "idle_days": 5,
        "assignee": inspector_name,
    }
    for user_id, language in ((head_en, "en"), (head_ar, "ar")):
        text = render("escalation", language, stray)
        email, sms, in_app = (by_key[(user_id, "A-5-DAYS", c)] for c in ("email", "sms", "in_app"))
        assert (email.title, email.body_text, email.body_html) == (text.title, text.text, text.html)
        assert (sms.body_text, sms.body_html, sms.sms_parts) == (text.sms, None, 1)
        assert (in_app.title, in_app.body_text, in_app.sent_at) == (text.title, text.text, NOW)
        for row in (email, sms, in_app):
            assert (row.subject_type, row.authority_id, row.attempts) == ("application", abg, 0)
    pests = by_key[(inspector_id, "P-PESTS", "email")]
    assert "18" in pests.body_text and "—" in pests.body_text  # idle days; nobody assigned

    assert app.extensions["jobs"].drain()
    with app.app_context():
        states = db.session.execute(
            sa.select(Notification.channel, Notification.state).where(
                Notification.event == "escalation"
            )
        ).all()
    assert sorted((c.value, s.value) for c, s in states) == sorted(
        [("email", "sent"), ("sms", "sent"), ("in_app", "sent")] * 3
    )


def test_a_declared_holiday_is_counted(app, staff):
    add_applications(app, staff, APPLICATIONS)
    admin = make_staff(app, "admin", "ABG")
    with app.app_context(), uow.transaction():
        declare_holiday(
            db.session.get(User, admin["id"]),
            {"date": dt.date(2026, 5, 31), "name_ar": "عطلة", "name_en": "A holiday"},
        )
    # One working day fewer for each: 20 May (now 4 of 5), 18 May (6 of 7) and 13 May (9 of
    # 10) are no longer idle enough.
    after_the_holiday = {"A-LAST-YEAR": 115, "A-NEW-SPELL": 18, "A-SATURDAY": 8, "P-PESTS": 17}
    with app.app_context():
        assert the_old_loop(NOW.date()) == after_the_holiday
    assert sweep(app) == 4
    assert {ref: after["idle_days"] for ref, after in audited(app).items()} == after_the_holiday


class RecordedJobs:
    """A jobs backend that keeps what it is given (the deliveries are not the sweep's work)."""

    def __init__(self) -> None:
        self.jobs = []

    def submit(self, job) -> None:
        self.jobs.append(job)

    def submit_all(self, jobs) -> None:  # what a commit hands a backend (jobs._submit)
        self.jobs.extend(jobs)


@pytest.mark.parametrize("idle", [1, 6])
def test_the_statements_do_not_grow_with_the_idle_applications(
    app, staff, idle, monkeypatch, backend_name
):
    chosen = list(ESCALATED)[:idle]  # all of Al Buraimi, to the two heads
    add_applications(app, staff, {reference: APPLICATIONS[reference] for reference in chosen})
    add_applications(app, staff, {"A-4-DAYS": APPLICATIONS["A-4-DAYS"]})  # a candidate, not idle
    recorded = RecordedJobs()
    monkeypatch.setitem(app.extensions, "jobs", recorded)
    with statements(app) as sent:
        assert sweep(app) == idle
    # The sibling sweep's look for unanswered messages (licensing.reply_targets: none here);
    # find, mark, recipients, the notices' ids, the notices; then at commit the audit chain: its
    # head read (locked), the audit rows in one INSERT, the head moved on. On SQLite the head is
    # written first, to take the database's write lock, and the ORM inserts the audit rows one by
    # one (it cannot match the ids of one multi-row INSERT to its rows there): one statement per
    # application, the only one that grows, and only there.
    expected = {"postgresql": 9, "sqlite": 9 + idle}[backend_name]
    assert len(sent) == expected, sent.text()
    assert len([sql for sql in sent if sql.startswith("INSERT INTO notifications")]) == 1
    # e-mail and SMS to two heads, in one delivery job
    assert [(job.task, len(job.args[0])) for job in recorded.jobs] == [
        ("app.notifications.delivery.deliver_notifications", idle * 2 * 2)
    ]


# SQLite picks its plan by its statistics, and for the small installations it serves a scan of
# the table does; the 1,000,000 applications of bench/sweep.py are PostgreSQL's.
@pytest.mark.postgres_only
def test_the_finding_statement_is_served_by_the_index_of_waiting_applications(app, staff):
    add_applications(app, staff, APPLICATIONS)
    with app.app_context():
        statement = finding_statement("postgresql").params(today=NOW.date())
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        # A handful of rows would be read whole; the question is whether the index can serve:
        # it can only if the planner proves the query's states are the index's.
        db.session.execute(sa.text("ANALYZE applications"))
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        # The queue's index by service starts with service_id too and, over a handful of rows,
        # costs the planner the same: out of the way (in this rolled-back transaction only), so
        # that the plan answers the question asked of the partial index.
        db.session.execute(sa.text("DROP INDEX ix_applications_queue_service"))
        plan = [line[0] for line in db.session.connection().exec_driver_sql(f"EXPLAIN {sql}")]
        db.session.rollback()
    assert any("ix_applications_waiting" in line for line in plan), "\n".join(plan)
