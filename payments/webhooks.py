"""Gateways' webhooks: verified and recorded once per (gateway, event id) by the plugin that
parsed them; applied by a job. A refund's event is published for refunds to act on."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app import uow
from app.errors import BadRequest, NotFound
from app.events import publish
from app.extensions import db
from app.i18n import N_
from app.reads import autocommit_connection
from app.timeutil import utcnow
from jobs import enqueue
from payments import gateways, lifecycle
from payments.confirmation import apply_gateway_status
from payments.gateways.base import (
    GatewayEvent,
    GatewayPayment,
    GatewayRefund,
    GatewayRefused,
    GatewayUnavailable,
    WebhookRejected,
)
from payments.models import Payment, PaymentEvent

log = logging.getLogger(__name__)
PROCESS_EVENT = "payments.webhooks.process_event"
REJECTED = {
    "signature_missing": N_("The webhook signature is missing."),
    "signature_invalid": N_("The webhook signature is not valid."),
    "payload_invalid": N_("The webhook body cannot be read."),
}


def receive_webhook(gateway: str, body: bytes, headers: Mapping[str, str]) -> int | None:
    """Verify one delivery with the plugin of `gateway` (404 for a gateway we do not have; 400
    for a delivery it rejects) and record it once in the caller's unit of work; its work is done
    by a job after commit. Returns the recorded row's id, None for an event already recorded."""
    try:
        plugin = gateways.plugin(gateway)
    except KeyError:
        raise NotFound() from None
    try:
        event = plugin.parse_webhook(body, headers)
    except WebhookRejected as error:
        log.warning("webhook refused", extra={"gateway": gateway, "reason": error.code})
        detail = error.detail or REJECTED.get(error.code, REJECTED["payload_invalid"])
        raise BadRequest(code=error.code, detail=detail) from error
    row_id = _record_once(gateway, event)
    if row_id is None:
        log.info("webhook event already recorded", extra={"gateway_event_id": event.event_id})
        return None
    enqueue(PROCESS_EVENT, row_id, queue="high", job_id=process_job_id(row_id))
    return row_id


def _record_once(gateway: str, event: GatewayEvent) -> int | None:
    """One statement, in autocommit: the row inserted unless (gateway, event id) is recorded
    already (a duplicate delivery), its id returned. The unique key decides between racing
    deliveries, with no savepoint to open and release around a refused insert; a statement on
    its own is atomic, so no BEGIN and COMMIT are sent around it (two round trips of three).
    The job is still sent by the session's commit: if the request fails after the insert, the
    job is dropped and the relay (`relay_gateway_events`) hands the unprocessed row to one."""
    connection = autocommit_connection()  # the webhook is public: the request's first statement
    return connection.execute(
        _insert(connection.dialect.name),
        {
            "gateway": gateway,
            "gateway_event_id": event.event_id,
            "type": (event.type or event.kind)[:60],
            "gateway_intent_id": event.gateway_ref,
            "payload": stored(event),
            "received_at": utcnow(),
        },
    ).scalar()


@functools.cache
def _insert(dialect: str) -> sa.Insert:
    """The recording statement, built once per dialect: built per delivery through the ORM it
    cost more Python than the rest of the view."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = PaymentEvent.__table__
    return (
        insert(table)
        .values(
            relay_attempts=0,
            **{
                name: sa.bindparam(name, type_=table.c[name].type)
                for name in ("gateway", "gateway_event_id", "type", "gateway_intent_id")
                + ("payload", "received_at")
            },
        )
        .on_conflict_do_nothing(index_elements=["gateway", "gateway_event_id"])
        .returning(table.c.id)
    )


def process_job_id(event_row_id: int) -> str:
    """The job of one recorded event, by a name of its own: a relay can ask whether it waits."""
    return f"payment-event-{event_row_id}"


def stored(event: GatewayEvent) -> dict[str, Any]:
    """The parsed event as JSON for `PaymentEvent.payload` (the raw JSON inside it): what
    `dataclasses.asdict` gives, without its deep copy of the gateway's JSON (it is not changed)."""
    return {
        "event_id": event.event_id,
        "kind": event.kind,
        "gateway_ref": event.gateway_ref,
        "payment": asdict(event.payment) if event.payment else None,
        "refund": asdict(event.refund) if event.refund else None,
        "payload": event.payload,
        "type": event.type,
    }


def parsed(payload: dict[str, Any]) -> GatewayEvent:
    payment, refund = payload.get("payment"), payload.get("refund")
    return GatewayEvent(
        **{
            **payload,
            "payment": GatewayPayment(**payment) if payment else None,
            "refund": GatewayRefund(**refund) if refund else None,
        }
    )


def _recorded(event: PaymentEvent) -> GatewayEvent:
    """The parsed event of a row; a row recorded before migration 0019 (still unprocessed at the
    upgrade) kept the gateway's own JSON, which its plugin reads (`parse_recorded`)."""
    if "kind" in event.payload:
        return parsed(event.payload)
    return gateways.plugin(event.gateway).parse_recorded(event.payload)


def process_event(event_row_id: int) -> str:
    """Job: apply one recorded event, in the job's unit of work; the card's details of a success
    are asked of the gateway first, with no transaction open."""
    event = db.session.get(PaymentEvent, event_row_id)
    if event is None or event.processed_at is not None:
        return "already processed"
    gateway, parsed_event = event.gateway, _recorded(event)
    payment_id = None
    if parsed_event.kind == "refund":
        outcome = _report_refund(gateway, parsed_event.refund)
    elif parsed_event.kind != "payment" or parsed_event.payment is None:
        outcome = "ignored"
    else:
        outcome, payment_id = _apply_payment_event(gateway, parsed_event)
    # One statement marks it; a racing job that marked it first keeps its own mark.
    db.session.execute(
        sa.update(PaymentEvent)
        .where(PaymentEvent.id == event_row_id, PaymentEvent.processed_at.is_(None))
        .values(processed_at=utcnow(), outcome=outcome, payment_id=payment_id)
        .execution_options(synchronize_session=False)
    )
    return outcome


def _apply_payment_event(gateway: str, event: GatewayEvent) -> tuple[str, int | None]:
    """What happened, and the payment it happened to (None for an intent we do not know)."""
    seen = event.payment
    if (
        seen.status == "succeeded"
        and seen.card_last4 is None
        and _needs_card_details(gateway, event.gateway_ref)
    ):
        uow.release()  # read only so far: the gateway is asked with no transaction open
        seen = _with_card(gateway, seen)
    payment = db.session.scalar(
        sa.select(Payment)
        .where(Payment.gateway == gateway, Payment.gateway_intent_id == event.gateway_ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        log.warning("webhook for an unknown payment", extra={"gateway_event_id": event.event_id})
        return "unknown intent", None
    return apply_gateway_status(payment, seen, source=f"webhook {event.type}"), payment.id


def _report_refund(gateway: str, refund: GatewayRefund | None) -> str:
    """Refunds owns refunds: the gateway's word on one is published for it."""
    if refund is None:
        return "ignored"
    metadata = refund.metadata
    publish(
        "gateway.refund_reported",
        gateway=gateway,
        refund_ref=refund.refund_ref,
        status=refund.status,
        failure_reason=refund.failure_reason,
        key=metadata.get("idempotency_key") or metadata.get("refund"),
        refund_reference=metadata.get("refund"),
    )
    return "reported"


def _needs_card_details(gateway: str, gateway_ref: str | None) -> bool:
    """Only a success that will change the payment asks the gateway for the card (a duplicate or
    late success of a payment already succeeded does not call out)."""
    state = db.session.scalar(
        sa.select(Payment.state).where(
            Payment.gateway == gateway, Payment.gateway_intent_id == gateway_ref
        )
    )
    return state is not None and state != lifecycle.SUCCEEDED


def _with_card(gateway: str, seen: GatewayPayment) -> GatewayPayment:
    """The event's view with the card's brand and last digits the gateway knows (a receipt shows
    them); missing is not fatal."""
    if seen.card_last4 is not None:
        return seen
    try:
        found = gateways.plugin(gateway).retrieve_payment(seen.gateway_ref)
    except (GatewayUnavailable, GatewayRefused):
        return seen
    return GatewayPayment(
        **{
            **asdict(seen),
            "charge_ref": seen.charge_ref or found.charge_ref,
            "card_brand": found.card_brand,
            "card_last4": found.card_last4,
        }
    )
