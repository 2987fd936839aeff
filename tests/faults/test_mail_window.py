"""An e-mail accepted by the SMTP server while the database goes away before `sent` is recorded:
the sender records it once the database is back, so it is not sent again; a row whose sender
died in that moment is sent again after the lease, as the same message (same Message-ID)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.notifications.delivery import LEASE, relay_notifications
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.services import notify
from app.timeutil import utcnow
from tests.factories import register
from tests.mailservers import SmtpServer, _Collector
from tests.samples import REJECTION_NOTICE as REJECTED

pytestmark = pytest.mark.postgres_only


class _StopsTheDatabaseOnAccept(_Collector):
    """Takes the message, and before answering 250 stops PostgreSQL (started again 2 s later)."""

    def __init__(self, postgres) -> None:
        super().__init__()
        self.postgres = postgres
        self.armed = True
        self.restarted = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.armed:
            self.armed = False
            self.postgres.halt()
            threading.Thread(target=self._restart_later, daemon=True).start()
        return await super().handle_DATA(server, session, envelope)

    def _restart_later(self) -> None:
        time.sleep(2)
        self.postgres.start()
        self.restarted.set()


@pytest.fixture
def trap(pg_app, fault_postgres):
    smtp = SmtpServer()
    smtp.collector = _StopsTheDatabaseOnAccept(fault_postgres)
    smtp.start()
    saved = {k: pg_app.config[k] for k in ("SMTP_HOST", "SMTP_PORT")}
    pg_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    yield smtp
    pg_app.config.update(saved)
    smtp.stop()


def test_sent_is_recorded_after_a_database_restart_and_not_sent_again(pg_app, trap):
    user = register(pg_app.test_client())
    with pg_app.app_context():
        account = db.session.scalar(sa.select(User).where(User.email == user["email"]))
        [row] = notify(account, "rejected", REJECTED, channels=[Channel.EMAIL])
        db.session.commit()  # the in-process job sends it now
        row_id = row.id
    assert trap.collector.restarted.wait(30)
    assert pg_app.extensions["jobs"].drain(30)
    with pg_app.app_context():
        row = db.session.get(Notification, row_id)
        assert (row.state, row.attempts) == (DeliveryState.SENT, 1)
        message_id = trap.messages[0]["Message-ID"]
        assert row.provider_reference == message_id
        assert message_id.startswith(f"<notification-{row_id}.")
        assert relay_notifications() == 0  # nothing left to send
    assert len(trap.messages) == 1

    # What remains: a sender that died between the accept and the record. After the lease the
    # row is sent again, as the same message.
    with pg_app.app_context():
        db.session.execute(
            sa.update(Notification).values(
                state=DeliveryState.SENDING, claimed_at=utcnow() - LEASE - timedelta(seconds=1)
            )
        )
        db.session.commit()
        assert relay_notifications() == 1
    assert pg_app.extensions["jobs"].drain(30)
    assert [m["Message-ID"] for m in trap.messages] == [message_id, message_id]
