"""A staff queue of mixed states, due dates, services, applicants and assignees, written straight
into the database, for the tests of the queue's order, paging and statements."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application, Licence
from tests.factories import make_staff
from tests.licensing.helpers import put_in_state
from tests.sla_rows import an_applicant, an_application, services_of

# (label, service index, applicant index, assignee, days from today to the due date or None,
# state). Two pairs share a due date (the id decides), three have none (drafts: last).
ROWS = [
    ("a", 0, 0, None, 5, "in_review"),
    ("b", 1, 1, "me", -3, "in_review"),
    ("c", 2, 2, "other", 5, "approved"),
    ("d", 0, 1, None, None, "draft"),
    ("e", 1, 0, "me", 1, "info_requested"),
    ("f", 2, 0, None, -3, "in_review"),
    ("g", 0, 2, "other", None, "draft"),
    ("h", 1, 2, None, 12, "in_review"),
    ("i", 2, 1, "me", 0, "inspection_scheduled"),
    ("j", 0, 0, None, None, "draft"),
    ("k", 1, 1, "other", 30, "approved"),
]
# By due date, soonest first, the id (creation order) between equal dates; no due date last.
QUEUE_ORDER = ["b", "f", "i", "e", "a", "c", "h", "k", "d", "g", "j"]


def mixed_queue(app, inspector_id: int) -> dict[str, int]:
    """The rows of ROWS in NBG (plus one in ABG that NBG's staff must not see), committed into
    the test's transaction; {label: application id}. `me` is the inspector, `other` a second
    inspector of NBG; the renewal `k` refers to a licence."""
    other = make_staff(app, "inspector", "NBG")
    today = utcnow().astimezone(MUSCAT).date()  # the queue counts Muscat days, not UTC ones
    with app.app_context():
        services = services_of("NBG", 3)
        applicants = [an_applicant() for _ in range(3)]
        ids = {}
        for label, service, applicant, assignee, due_in, state in ROWS:
            started = None if due_in is None else utcnow() - dt.timedelta(days=2)
            clock = SlaClock(3, started)
            due = None if due_in is None else today + dt.timedelta(days=due_in)
            application = an_application(applicants[applicant], services[service], clock, due)
            put_in_state(application.id, state)
            assignee_id = {None: None, "me": inspector_id, "other": other["id"]}[assignee]
            db.session.execute(
                sa.update(Application)
                .where(Application.id == application.id)
                .values(assignee_id=assignee_id)
            )
            ids[label] = application.id
        _with_licence(ids["k"], applicants[1])
        abg = services_of("ABG", 1)[0]
        an_application(applicants[0], abg, SlaClock(3, utcnow()), today)
        db.session.commit()
    return ids


def _with_licence(application_id: int, holder: User) -> None:
    application = db.session.get(Application, application_id)
    licence = Licence(
        number="NBG-L-2026-900001",
        authority_id=application.authority_id,
        family=application.family,
        service_id=application.service_id,
        holder_id=holder.id,
        application_id=application.id,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
        verification_code="v" * 20,
    )
    db.session.add(licence)
    db.session.flush()
    application.licence_id = licence.id
    db.session.flush()
