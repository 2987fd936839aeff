"""Submitting an application, the hot write path of issue 13: the statements it sends, one
delivery job for its notices, and the same answer, timeline, notices and audit rows as before."""

from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from app.notifications.models import Channel, DeliveryState, Notification
from tests.factories import applicant_headers
from tests.licensing.helpers import LEASE, act, upload_mandatory
from tests.statements import statements

# What an applicant's submission of a lease (a fee due) sends, in order, on PostgreSQL:
SUBMIT_STATEMENTS = [
    "SELECT users",  # the caller and their session
    "SELECT maintenance_windows",  # once: the request hook and the tenancy rule both ask
    "SELECT applications",  # locked, with its service, authority (calendar version), timeline
    "SELECT documents",  # the mandatory documents are there
    "INSERT notifications",  # the payment request's three notices, in one statement
    "UPDATE applications",  # once: state, submission time, clock, last action
    "INSERT application_events",  # submit and request_payment, in one statement
    "SELECT audit_chain_heads",  # the chain's head, locked at commit
    "INSERT audit_log",  # both steps' rows, in one statement
    "UPDATE audit_chain_heads",
]
# SQLite inserts row by row, and takes its write lock with an UPDATE of the head first.
SUBMIT_STATEMENTS_SQLITE = [
    *SUBMIT_STATEMENTS[:4],
    *["INSERT notifications"] * 3,
    "UPDATE applications",
    *["INSERT application_events"] * 2,
    "UPDATE audit_chain_heads",
    "SELECT audit_chain_heads",
    *["INSERT audit_log"] * 2,
    "UPDATE audit_chain_heads",
]


def _kind(sql: str) -> str:
    """`SELECT <the table it reads from>`, `INSERT <table>` or `UPDATE <table>`."""
    verb, words = sql.split()[0], sql.split()
    if verb == "SELECT":  # the FROM of the statement itself, not of a subquery in its columns
        depth = 0
        for i, word in enumerate(words):
            if depth == 0 and word == "FROM":
                return f"SELECT {words[i + 1]}"
            depth += word.count("(") - word.count(")")
    return f"{verb} {words[2] if verb == 'INSERT' else words[1]}"


def _draft(app, client):
    applicant, headers = applicant_headers(client)
    created = client.post("/api/v1/leases", json=LEASE, headers=headers).get_json()
    upload_mandatory(app, client, headers, created["id"])
    return applicant, headers, created


def _jobs_held(app, monkeypatch) -> list:
    """The jobs the app hands to its backend from now on, kept instead of run."""
    held: list = []
    monkeypatch.setattr(app.extensions["jobs"], "submit", lambda job, *a: held.append(job))
    return held


def test_a_submission_sends_ten_statements_and_nothing_after_its_commit(
    app, client, monkeypatch, backend_name
):
    _, headers, created = _draft(app, client)
    _jobs_held(app, monkeypatch)
    with statements(app) as sent:
        response = act(client, headers, created["id"], "submit")
    assert response.status_code == 200, response.get_json()
    if backend_name == "postgresql":
        assert len(sent) == 10, sent.text()
        assert [_kind(sql) for sql in sent] == SUBMIT_STATEMENTS, sent.text()
        # the application's row only is locked, not its service's or authority's
        assert sent[2].endswith("FOR UPDATE OF applications"), sent[2]
    else:
        assert len(sent) == 15, sent.text()
        assert [_kind(sql) for sql in sent] == SUBMIT_STATEMENTS_SQLITE, sent.text()


def test_a_submission_hands_one_job_for_its_notices(app, client, monkeypatch):
    applicant, headers, created = _draft(app, client)
    held = _jobs_held(app, monkeypatch)
    assert act(client, headers, created["id"], "submit").status_code == 200
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == applicant["id"])
            .order_by(Notification.id)
        ).all()
        by_channel = {row.channel: row for row in rows}
        assert [row.event for row in rows] == ["payment_due"] * 3
        assert by_channel[Channel.IN_APP].state == DeliveryState.SENT
        deliverable = [by_channel[Channel.EMAIL].id, by_channel[Channel.SMS].id]
    assert [(job.task, job.args, job.queue) for job in held] == [
        ("app.notifications.delivery.deliver_notifications", (deliverable,), "high")
    ]


def test_the_answer_is_the_application_as_read_back_with_its_timeline_and_audit(app, client):
    _, headers, created = _draft(app, client)
    submitted = act(client, headers, created["id"], "submit")
    assert submitted.status_code == 200
    answer = submitted.get_json()
    assert answer["state"] == "payment_pending"
    assert [(e["action"], e["from_state"], e["to_state"]) for e in answer["timeline"]] == [
        ("create", "draft", "draft"),
        ("submit", "draft", "submitted"),
        ("request_payment", "submitted", "payment_pending"),
    ]
    assert answer["authority"]["code"] == "NBG"
    assert answer["service"]["code"] == "NBG-LEASE-REGISTER"
    assert answer["submitted_at"] is not None
    read_back = client.get(f"/api/v1/applications/{created['id']}", headers=headers)
    assert read_back.get_json() == answer
    with app.app_context():
        audited = db.session.execute(
            sa.select(AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(
                AuditEntry.subject_id == created["reference"],
                AuditEntry.action != "application.document_uploaded",
            )
            .order_by(AuditEntry.seq)
        ).all()
    assert [tuple(row) for row in audited] == [
        ("application.created", None, {"service": "NBG-LEASE-REGISTER", "state": "draft"}),
        ("application.submit", {"state": "draft"}, {"state": "submitted"}),
        ("application.request_payment", {"state": "submitted"}, {"state": "payment_pending"}),
    ]


def test_the_inbox_shows_the_notice_at_once(app, client, monkeypatch):
    _, headers, created = _draft(app, client)
    _jobs_held(app, monkeypatch)  # no delivery job has run
    assert act(client, headers, created["id"], "submit").status_code == 200
    [notice] = client.get("/api/v1/notifications", headers=headers).get_json()
    assert notice["event"] == "payment_due"
    assert notice["title"] == f"Fee due for application {created['reference']}"
    assert "3.000 OMR" in notice["body"]
