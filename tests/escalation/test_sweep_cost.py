"""The sweep's cost follows the items that fire, not the number of open ones: its statements do
not grow with the escalations it fires, and its sources are served by their partial indexes."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.escalation.sweep import firing_statements
from app.extensions import db
from tests.escalation.rows import add_application, muscat, sweep
from tests.escalation.test_recipients import TRAINING, holds, staff
from tests.statements import statements

MONDAY = muscat(2026, 6, 1, 7, 0)


class RecordedJobs:
    """A jobs backend that keeps what it is given (the deliveries are not the sweep's work)."""

    def __init__(self) -> None:
        self.jobs = []

    def submit(self, job) -> None:
        self.jobs.append(job)

    def submit_all(self, jobs) -> None:  # what a commit hands a backend (jobs._submit)
        self.jobs.extend(jobs)


@pytest.mark.parametrize("idle", [1, 6])
def test_the_statements_do_not_grow_with_the_escalations(app, idle, monkeypatch, backend_name):
    applicant, manager = staff(app, "auditor"), staff(app)
    holds(app, "training_section", manager)
    for _ in range(idle):  # 5 working days idle: level 2, to the training section's manager
        add_application(app, applicant, TRAINING, muscat(2026, 5, 20, 10))
    add_application(app, applicant, TRAINING, muscat(2026, 5, 21, 10))  # 4: not idle enough
    recorded = RecordedJobs()
    monkeypatch.setitem(app.extensions, "jobs", recorded)
    with statements(app) as sent:
        assert sweep(app, MONDAY) == idle
    # One INSERT ... SELECT per source (applications, refunds, cases waiting, cases answered,
    # messages); the resolver's reads (services, positions; no assignee at level 1, so no staff);
    # the unfilled positions passed over (none here: no INSERT); the
    # targets onto the rows (one executemany); the people and the services; the notices' ids
    # and the notices; then at commit the audit chain: its head read (locked), the audit rows in
    # one INSERT, the head moved on. On SQLite the head is written first, to take the
    # database's write lock, and the ORM inserts the audit rows one by one: the only statement
    # that grows, and only there.
    expected = {"postgresql": 15, "sqlite": 15 + idle}[backend_name]
    assert len(sent) == expected, sent.text()
    assert len([sql for sql in sent if sql.startswith("INSERT INTO notifications")]) == 1
    assert len([sql for sql in sent if sql.startswith("INSERT INTO escalations")]) == 5
    # e-mail and SMS to the manager, in one delivery job
    assert [(job.task, len(job.args[0])) for job in recorded.jobs] == [
        ("app.notifications.delivery.deliver_notifications", idle * 2)
    ]


@contextmanager
def explained(app):
    """Each statement sent is EXPLAINed instead of run; the plans, in order."""
    plans: list[str] = []
    with app.app_context():
        engine = db.engine

    def explain(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO escalations"):
            cursor.execute("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
            return "SELECT 1 WHERE false", ()
        return statement, parameters

    event.listen(engine, "before_cursor_execute", explain, retval=True)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", explain)


# SQLite picks its plan by its statistics, and for the small installations it serves a scan of
# the table does; the 1,000,000 items of bench/sweep.py are PostgreSQL's.
@pytest.mark.postgres_only
def test_the_sources_are_served_by_their_partial_indexes(app):
    applicant = staff(app, "auditor")
    for day in range(10, 30):
        add_application(app, applicant, TRAINING, muscat(2026, 5, day, 10))
    with app.app_context():
        for table in ("applications", "cases", "refunds", "application_messages"):
            db.session.execute(sa.text(f"ANALYZE {table}"))
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        # The queue's index by service starts with service_id too and, over a handful of rows,
        # costs the planner the same: out of the way (in this rolled-back transaction only).
        db.session.execute(sa.text("DROP INDEX ix_applications_queue_service"))
        with explained(app) as plans:
            for statement in firing_statements("postgresql"):
                db.session.execute(statement, {"today": MONDAY.date(), "now": MONDAY})
        db.session.rollback()
    applications = plans[0]
    # A handful of rows would be read whole; the question is whether a partial index of the
    # waiting applications can serve (by last action, or by due date: over a handful of rows the
    # planner takes one and filters; bench/sweep.py shows the plan at 1,000,000): it can only if
    # the planner proves the query's states are the index's.
    assert "ix_applications_waiting" in applications, applications
