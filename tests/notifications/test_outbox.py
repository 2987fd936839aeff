"""The outbox: what commits is delivered once, by e-mail, SMS and in-app; what rolls back is not."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from app.accounts.models import User
from app.extensions import db
from app.notifications.delivery import (
    LEASE,
    MAX_ATTEMPTS,
    QUEUED_GRACE,
    claim,
    deliver_notification,
    relay_notifications,
)
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.services import inline_attachment, notify
from app.timeutil import utcnow
from tests.conftest import build_app, clear_tables
from tests.factories import applicant_headers, register, staff_headers
from tests.notifications.conftest import delivery_config
from tests.samples import REJECTION_NOTICE as REJECTED
from tests.workers import children, run_burst_worker

ROOT = Path(__file__).resolve().parents[2]


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _notify(app, email, event="rejected", context=REJECTED, **kwargs):
    with app.app_context():
        rows = notify(
            _user(email), event, context, subject=("application", 42), authority_id=1, **kwargs
        )
        db.session.commit()
        ids = [r.id for r in rows]
    assert app.extensions["jobs"].drain(15)
    return ids


def _rows(app):
    with app.app_context():
        return {
            r.channel: (r.state, r.attempts, r.sms_parts)
            for r in db.session.scalars(sa.select(Notification))
        }


def test_email_sms_and_in_app_notice_in_the_recipients_language(outbox_app, client, smtp, sms):
    arabic, arabic_headers = applicant_headers(client, preferred_language="ar")
    english, _ = applicant_headers(client, preferred_language="en")
    report = inline_attachment("decision.pdf", "application/pdf", b"%PDF-1.7 decision")
    _notify(outbox_app, arabic["email"], attachments=[report])
    _notify(outbox_app, english["email"])

    assert len(smtp.messages) == 2
    to_arabic = next(m for m in smtp.messages if m["To"] == arabic["email"])
    assert to_arabic["Subject"] == "تم رفض الطلب NBG-2026-000042"
    assert "المخطط غير مطابق" in to_arabic.get_body(("plain",)).get_content()
    html = to_arabic.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and "المخطط غير مطابق" in html
    attachment = next(to_arabic.iter_attachments())
    assert attachment.get_filename() == "decision.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == b"%PDF-1.7 decision"
    to_english = next(m for m in smtp.messages if m["To"] == english["email"])
    assert to_english["Subject"] == "Application NBG-2026-000042 rejected"
    assert "The plan does not conform" in to_english.get_body(("plain",)).get_content()

    assert sorted(m["to"] for m in sms.received) == sorted([arabic["phone"], english["phone"]])
    arabic_sms = next(m for m in sms.received if m["to"] == arabic["phone"])
    assert arabic_sms["from"] == "BALADIYA" and arabic_sms["text"].startswith("بلدية: رُفض الطلب")
    assert sms.credentials() == "baladiya:gateway-secret"

    inbox = client.get("/api/v1/notifications", headers=arabic_headers)
    assert inbox.status_code == 200
    [notice] = inbox.get_json()
    assert notice["title"] == "تم رفض الطلب NBG-2026-000042" and notice["read"] is False
    assert notice["subject_type"] == "application" and notice["subject_id"] == "42"
    read = client.post(f"/api/v1/notifications/{notice['id']}/read", headers=arabic_headers)
    assert read.status_code == 200 and read.get_json()["read"] is True
    assert client.get("/api/v1/notifications?unread=true", headers=arabic_headers).get_json() == []


def test_the_address_is_read_from_the_account_at_send_time(outbox_app, client, smtp, sms):
    user, _ = applicant_headers(client)
    with outbox_app.app_context():
        rows = notify(_user(user["email"]), "rejected", REJECTED, channels=[Channel.EMAIL])
        _user(user["email"]).email = "new-address@example.om"
        db.session.commit()
    assert outbox_app.extensions["jobs"].drain(15)
    assert [m["To"] for m in smtp.messages] == ["new-address@example.om"]
    assert rows


def test_a_rolled_back_change_sends_nothing(outbox_app, client, smtp, sms):
    user, headers = applicant_headers(client)
    with outbox_app.app_context():
        notify(_user(user["email"]), "rejected", REJECTED)
        db.session.rollback()
        db.session.commit()
    assert outbox_app.extensions["jobs"].drain(15)
    assert smtp.messages == [] and sms.received == []
    assert _rows(outbox_app) == {}
    assert client.get("/api/v1/notifications", headers=headers).get_json() == []


def test_smtp_down_then_back_is_retried_and_delivered_once(outbox_app, client, smtp, sms):
    user, _ = applicant_headers(client)
    smtp.stop()
    [email_id] = _notify(outbox_app, user["email"], channels=[Channel.EMAIL])
    with outbox_app.app_context():
        row = db.session.get(Notification, email_id)
        assert (row.state, row.attempts) == (DeliveryState.QUEUED, 1)
        assert row.next_attempt_at > utcnow() and "ConnectionRefusedError" in row.last_error
        assert relay_notifications() == 0  # not yet due
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the back-off has passed
        db.session.commit()
    smtp.start()
    with outbox_app.app_context():
        assert relay_notifications() == 1
    assert outbox_app.extensions["jobs"].drain(15)
    with outbox_app.app_context():
        assert relay_notifications() == 0
        deliver_notification(email_id)  # a duplicate job changes nothing
    assert len(smtp.messages) == 1
    assert _rows(outbox_app)[Channel.EMAIL][:2] == (DeliveryState.SENT, 2)


def test_a_sender_killed_after_claiming_does_not_lose_the_row(outbox_app, client, smtp, sms):
    user, _ = applicant_headers(client)
    with outbox_app.app_context():
        [row] = notify(_user(user["email"]), "rejected", REJECTED, channels=[Channel.SMS])
        row_id = row.id
        db.session.flush()
        # Commit without the after-commit job: the worker that would have sent it is gone.
        db.session.info.pop("pending_jobs")
        db.session.commit()
        assert claim(row_id) is not None  # a worker claims it ... and dies before sending
        assert claim(row_id) is None  # nobody else may take it while the claim is fresh
        assert relay_notifications() == 0
        db.session.execute(
            sa.update(Notification).values(claimed_at=utcnow() - LEASE - timedelta(seconds=1))
        )
        db.session.commit()
        assert relay_notifications() == 1
    assert outbox_app.extensions["jobs"].drain(15)
    assert len(sms.received) == 1
    assert _rows(outbox_app)[Channel.SMS][:2] == (DeliveryState.SENT, 2)


def test_after_the_last_retry_the_row_is_failed_and_visible_to_staff(outbox_app, client, smtp, sms):
    user, _ = applicant_headers(client)
    _, nbg_staff = staff_headers(outbox_app, client, "inspector", "NBG")
    _, abg_staff = staff_headers(outbox_app, client, "inspector", "ABG")
    smtp.stop()
    [email_id] = _notify(outbox_app, user["email"], channels=[Channel.EMAIL])
    with outbox_app.app_context():
        for _ in range(MAX_ATTEMPTS - 1):
            db.session.execute(
                sa.update(Notification).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            deliver_notification(email_id)
        row = db.session.get(Notification, email_id, populate_existing=True)
        assert (row.state, row.attempts) == (DeliveryState.FAILED, MAX_ATTEMPTS)
    failed = client.get("/api/v1/notifications/log?state=failed", headers=nbg_staff)
    assert failed.status_code == 200
    [entry] = failed.get_json()
    assert entry["id"] == email_id and entry["attempts"] == MAX_ATTEMPTS and entry["last_error"]
    assert user["email"] not in failed.get_data(as_text=True)
    by_subject = client.get(
        "/api/v1/notifications/log?subject=application:42", headers=nbg_staff
    ).get_json()
    assert [e["channel"] for e in by_subject] == ["email"]
    assert client.get("/api/v1/notifications/log?state=failed", headers=abg_staff).get_json() == []
    bad = client.get("/api/v1/notifications/log?subject=42", headers=nbg_staff)
    assert bad.status_code == 422


def test_logs_name_the_row_never_the_address_or_text(outbox_app, client, smtp, sms, capsys):
    user, _ = applicant_headers(client)
    _notify(outbox_app, user["email"])
    logs = capsys.readouterr().err
    assert "notification sent" in logs
    for private in (user["email"], user["phone"], "NBG-2026-000042", "The plan does not conform"):
        assert private not in logs


def test_another_users_notice_is_404(outbox_app, client):
    owner, _ = applicant_headers(client)
    _, other = applicant_headers(client)
    with outbox_app.app_context():
        [row] = notify(_user(owner["email"]), "rejected", REJECTED, channels=[Channel.IN_APP])
        db.session.commit()
        row_id = row.id
    assert client.post(f"/api/v1/notifications/{row_id}/read", headers=other).status_code == 404


@pytest.fixture
def redis_outbox_app(database_url, redis_server, smtp, sms):
    app = build_app(database_url, REDIS_URL=redis_server.url, **delivery_config(smtp, sms))
    Redis.from_url(redis_server.url).flushall()
    yield app
    clear_tables(app)


def test_committed_with_redis_down_is_delivered_once_redis_is_back(
    redis_outbox_app, redis_server, smtp, sms
):
    app = redis_outbox_app
    user = register(app.test_client())
    redis_server.stop()
    with app.app_context():
        notify(_user(user["email"]), "rejected", REJECTED, channels=[Channel.EMAIL])
        db.session.commit()  # the enqueue fails after commit; the row stays queued
        assert db.session.scalar(sa.select(Notification.state)) == DeliveryState.QUEUED
    redis_server.start()
    with app.app_context():
        # The relay cannot tell a lost job from one waiting in the queue until the grace is over.
        assert relay_notifications() == 0
        db.session.execute(
            sa.update(Notification).values(
                created_at=utcnow() - QUEUED_GRACE - timedelta(seconds=1)
            )
        )
        db.session.commit()
        assert relay_notifications() == 1
    assert Queue("high", connection=Redis.from_url(redis_server.url)).count == 1
    run_burst_worker(app, redis_server.url, **delivery_config(smtp, sms))
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == user["email"]
    with app.app_context():
        assert db.session.scalar(sa.select(Notification.state)) == DeliveryState.SENT


class _Silent:
    """An SMS gateway that takes the request and never answers: a worker sending to it is
    stuck between claiming the row and recording the outcome, where we kill it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/send"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def stop(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


def test_a_real_worker_killed_between_claim_and_record_loses_nothing(
    redis_outbox_app, redis_server, smtp, sms
):
    app = redis_outbox_app
    user = register(app.test_client())
    silent = _Silent()
    with app.app_context():
        notify(_user(user["email"]), "rejected", REJECTED, channels=[Channel.SMS])
        db.session.commit()  # enqueued to Redis after commit
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        **{k: str(v) for k, v in delivery_config(smtp, sms).items()},
        "SMS_GATEWAY_URL": silent.url,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not silent.held:  # the worker claimed the row and is sending it
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.1)
        with app.app_context():
            assert db.session.scalar(sa.select(Notification.state)) == DeliveryState.SENDING
    finally:
        # The worker and its work horse (rq forks one per job, in a session of its own), mid-send.
        for pid in (*children(worker.pid), worker.pid):
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        silent.stop()
    with app.app_context():
        assert relay_notifications() == 0  # its claim is still fresh: nobody takes it yet
        db.session.execute(
            sa.update(Notification).values(claimed_at=utcnow() - LEASE - timedelta(seconds=1))
        )
        db.session.commit()
        assert relay_notifications() == 1  # the lease ran out: queued again
    run_burst_worker(app, redis_server.url, **delivery_config(smtp, sms))
    assert len(sms.received) == 1 and sms.received[0]["to"] == user["phone"]
    with app.app_context():
        assert db.session.scalar(sa.select(Notification.state)) == DeliveryState.SENT
