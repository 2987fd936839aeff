"""How many jobs deliver the outbox: one for all the notices a transaction writes, and from the
relay only for rows whose job is lost, not for rows waiting in the queue for theirs."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.notifications.delivery import QUEUED_GRACE, relay_notifications
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.services import notify
from app.timeutil import utcnow
from jobs.runner import execute
from tests.factories import register
from tests.samples import REJECTION_NOTICE as REJECTED

DELIVER_ALL = "app.notifications.delivery.deliver_notifications"


def _account(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _watch_jobs(app, monkeypatch, run: bool = True) -> list:
    """The jobs handed to the backend from now on; run as usual, or only kept (`run=False`:
    they wait in a queue no worker reads)."""
    backend = app.extensions["jobs"]
    handed: list = []
    submit = backend.submit

    def watched(job, *args):
        handed.append(job)
        if run:
            submit(job, *args)

    monkeypatch.setattr(backend, "submit", watched)
    return handed


def _states(app) -> dict[int, tuple[str, int]]:
    with app.app_context():
        return {
            row.id: (row.state, row.attempts)
            for row in db.session.scalars(sa.select(Notification).order_by(Notification.id))
        }


def _age(app, **columns) -> None:
    """Move the rows' times back by the grace period and a second: the grace has passed."""
    past = utcnow() - QUEUED_GRACE - timedelta(seconds=1)
    with app.app_context():
        db.session.execute(sa.update(Notification).values(**dict.fromkeys(columns, past)))
        db.session.commit()


def test_one_job_delivers_every_notice_of_a_transaction(outbox_app, client, monkeypatch, smtp, sms):
    people = [register(client) for _ in range(3)]
    handed = _watch_jobs(outbox_app, monkeypatch)
    with outbox_app.app_context():
        for person in people:
            notify(_account(person["email"]), "rejected", REJECTED, authority_id=1)
        db.session.commit()
        deliverable = list(
            db.session.scalars(
                sa.select(Notification.id)
                .where(Notification.channel != Channel.IN_APP)
                .order_by(Notification.id)
            )
        )
    assert outbox_app.extensions["jobs"].drain(30)
    assert len(deliverable) == 6
    assert [(job.task, job.args, job.queue) for job in handed] == [
        (DELIVER_ALL, (deliverable,), "high")
    ]
    assert sorted(m["To"] for m in smtp.messages) == sorted(p["email"] for p in people)
    assert sorted(s["to"] for s in sms.received) == sorted(p["phone"] for p in people)
    assert set(_states(outbox_app).values()) == {(DeliveryState.SENT, 0), (DeliveryState.SENT, 1)}


def test_a_row_that_fails_in_the_job_is_retried_alone_and_the_others_go(
    outbox_app, client, monkeypatch, smtp, sms
):
    person = register(client)
    smtp.stop()
    handed = _watch_jobs(outbox_app, monkeypatch)
    with outbox_app.app_context():
        [email, text, _] = notify(_account(person["email"]), "rejected", REJECTED)
        db.session.commit()
        email_id, text_id = email.id, text.id
    assert outbox_app.extensions["jobs"].drain(30)
    assert len(handed) == 1
    assert [s["to"] for s in sms.received] == [person["phone"]]
    with outbox_app.app_context():
        failed = db.session.get(Notification, email_id)
        assert (failed.state, failed.attempts) == (DeliveryState.QUEUED, 1)
        assert failed.next_attempt_at > utcnow() + timedelta(seconds=25)  # its own back-off
        assert db.session.get(Notification, text_id).state == DeliveryState.SENT


def test_the_relay_leaves_rows_to_the_job_they_wait_for_and_takes_lost_ones(
    outbox_app, client, monkeypatch
):
    person = register(client)
    handed = _watch_jobs(outbox_app, monkeypatch, run=False)  # a backlog: no worker gets to them
    with outbox_app.app_context():
        for _ in range(25):
            notify(_account(person["email"]), "rejected", REJECTED, channels=[Channel.SMS])
        db.session.commit()
        ids = list(db.session.scalars(sa.select(Notification.id).order_by(Notification.id)))
    assert [job.args for job in handed] == [(ids,)]

    with outbox_app.app_context():
        assert relay_notifications() == 0  # each is waiting for the job its commit sent
    assert len(handed) == 1

    _age(outbox_app, created_at=True)  # that job is lost
    with outbox_app.app_context():
        assert relay_notifications() == 25
    assert [(job.task, job.args) for job in handed[1:]] == [
        (DELIVER_ALL, (ids[:10],)),
        (DELIVER_ALL, (ids[10:20],)),
        (DELIVER_ALL, (ids[20:],)),
    ]
    with outbox_app.app_context():
        assert relay_notifications() == 0  # the relayed jobs are on their way
    assert len(handed) == 4

    _age(outbox_app, next_attempt_at=True)  # those are lost too
    with outbox_app.app_context():
        assert relay_notifications() == 25
    assert len(handed) == 7
    with outbox_app.app_context():
        execute(*[handed[-1].task, *handed[-1].args])  # a worker comes back to the last job
    states = _states(outbox_app)
    assert [states[i] for i in ids[20:]] == [(DeliveryState.SENT, 1)] * 5
    assert [states[i] for i in ids[:20]] == [(DeliveryState.QUEUED, 0)] * 20


def test_a_row_due_for_a_retry_is_relayed_when_due_then_left_to_its_job(
    outbox_app, client, monkeypatch, smtp
):
    person = register(client)
    smtp.stop()
    with outbox_app.app_context():
        [row] = notify(_account(person["email"]), "rejected", REJECTED, channels=[Channel.EMAIL])
        db.session.commit()
        row_id = row.id
    assert outbox_app.extensions["jobs"].drain(30)
    handed = _watch_jobs(outbox_app, monkeypatch, run=False)
    with outbox_app.app_context():
        assert relay_notifications() == 0  # its back-off has not passed
        db.session.execute(
            sa.update(Notification).values(
                claimed_at=utcnow() - timedelta(seconds=40),
                next_attempt_at=utcnow() - timedelta(seconds=1),
            )
        )
        db.session.commit()
        assert relay_notifications() == 1  # no job was waiting for it: relayed at once
        assert relay_notifications() == 0  # now one is
    assert [(job.task, job.args) for job in handed] == [(DELIVER_ALL, ([row_id],))]
    smtp.start()
    with outbox_app.app_context():
        execute(handed[0].task, *handed[0].args)
    assert [m["To"] for m in smtp.messages] == [person["email"]]
    assert _states(outbox_app)[row_id] == (DeliveryState.SENT, 2)


def test_a_delivery_job_sends_three_statements_a_row_and_one_smtp_connection(
    outbox_app, client, monkeypatch, smtp, sms
):
    """Each row: its claim, the row read with its account, its `sent` mark; the job's e-mails
    go over one SMTP connection."""
    import smtplib

    from tests.statements import statements

    people = [register(client) for _ in range(2)]
    handed = _watch_jobs(outbox_app, monkeypatch, run=False)
    with outbox_app.app_context():
        for person in people:
            notify(_account(person["email"]), "rejected", REJECTED, authority_id=1)
        db.session.commit()
    [job] = handed
    assert len(job.args[0]) == 4  # two e-mails, two SMS
    connections = []
    connect = smtplib.SMTP.connect
    monkeypatch.setattr(
        smtplib.SMTP,
        "connect",
        lambda self, *a, **k: (connections.append(a), connect(self, *a, **k))[1],
    )
    with outbox_app.app_context(), statements(outbox_app) as sent:
        execute(job.task, *job.args)
    assert len(sent) == 12, sent.text()
    assert len(sent.touching("users")) == 4, sent.text()  # joined into the row's read
    assert len(connections) == 1
    assert sorted(m["To"] for m in smtp.messages) == sorted(p["email"] for p in people)
    assert sorted(s["to"] for s in sms.received) == sorted(p["phone"] for p in people)
    assert set(_states(outbox_app).values()) == {(DeliveryState.SENT, 0), (DeliveryState.SENT, 1)}
