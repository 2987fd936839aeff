"""Payments of application fees, the gateway's events about them, reconciliation findings, and
the answers kept for `Idempotency-Key` requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.models import Timestamped
from app.timeutil import UTCDateTime, utcnow
from licensing.models import Application


class Payment(Timestamped, db.Model):
    """One attempt to collect an application's fee through a gateway (`gateway`, a registered
    plugin's name; its object is `gateway_intent_id`: Stripe's PaymentIntent, a checkout
    session). A row without `gateway_intent_id` was recorded before the gateway answered."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.Index("ix_payments_authority_created", "authority_id", "created_at"),
        sa.Index("ix_payments_state_updated", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(
        sa.String(40), unique=True
    )  # also the gateway idempotency key
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    payer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount_baisa: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="omr")
    state: Mapped[str] = mapped_column(sa.String(12))
    gateway: Mapped[str] = mapped_column(sa.String(20), default="stripe")
    gateway_intent_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    client_secret: Mapped[str | None] = mapped_column(sa.String(200))
    redirect_url: Mapped[str | None] = mapped_column(sa.String(500))
    gateway_charge_id: Mapped[str | None] = mapped_column(sa.String(100))
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    failure_code: Mapped[str | None] = mapped_column(sa.String(100))
    failure_message: Mapped[str | None] = mapped_column(sa.String(500))
    succeeded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
    payer: Mapped[User] = relationship()


class PaymentEvent(db.Model):
    """A gateway event, recorded once by (gateway, its id), and what we did with it. `payload`
    is the parsed `GatewayEvent` (`payments.events_store`), the gateway's raw JSON inside it.

    `processed_at` is empty until its job has applied it; the relay hands an event still
    unprocessed to a new job (`relay_attempts` times so far, the next one at `next_relay_at`).
    """

    __tablename__ = "payment_events"
    __table_args__ = (
        sa.UniqueConstraint("gateway", "gateway_event_id"),
        sa.Index(
            "ix_payment_events_unprocessed",
            "id",
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(20), default="stripe")
    gateway_event_id: Mapped[str] = mapped_column(sa.String(100))
    type: Mapped[str] = mapped_column(sa.String(60))
    gateway_intent_id: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(sa.String(100))
    relay_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_relay_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ReconciliationFinding(db.Model):
    """A difference between our payment and the gateway's view, and whether it was repaired."""

    __tablename__ = "reconciliation_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    local_state: Mapped[str] = mapped_column(sa.String(12))
    gateway_state: Mapped[str | None] = mapped_column(sa.String(40))
    repaired: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(sa.String(300))
    found_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    payment: Mapped[Payment] = relationship()


class IdempotentRequest(db.Model):
    """The first answer to a request made with an `Idempotency-Key`, to give again."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key", name="uq_idempotent_requests_user_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(100))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Payment.state is governed by its workflow from the moment the model exists.
from payments import lifecycle as _lifecycle  # noqa: E402,F401
