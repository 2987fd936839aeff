"""Use cases of payments: start (or resume) paying an application's fee, take the gateway's
events, and apply a confirmed payment exactly once."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import stripe
from flask import current_app

from app.accounts.models import User
from app.audit import record_change
from app.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from app.extensions import db
from app.i18n import N_
from app.money import format_baisa
from app.notifications.services import notify
from app.timeutil import utcnow
from jobs import enqueue
from licensing.lifecycle import State
from licensing.models import Application
from licensing.services import confirm_payment, get_application
from payments import lifecycle
from payments.gateway import GatewayRefused, GatewayUnavailable, Intent, gateway
from payments.models import IdempotentRequest, Payment, PaymentEvent
from receipts.services import attachment_of, issue_receipt, verify_url

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
PROCESS_EVENT = "payments.services.process_event"
HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
)
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")


def payment_reference(application: Application) -> str:
    """Deterministic per attempt: a retry after an outage asks the gateway with the same
    idempotency key, so an intent it made before timing out is found, not made twice."""
    closed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Payment)
        .where(
            Payment.application_id == application.id,
            Payment.state.in_([lifecycle.CANCELED, lifecycle.EXPIRED]),
        )
    )
    return f"pay-{application.reference}-{closed + 1}"


def open_payment(application_id: int) -> Payment | None:
    return db.session.scalar(
        sa.select(Payment).where(
            Payment.application_id == application_id, Payment.state.in_(lifecycle.OPEN)
        )
    )


def start_payment(
    user: User, application_id: int, on_created: Callable[[Payment], None] | None = None
) -> tuple[Payment, bool]:
    """The open payment of the application, or a new one (and whether it is new): a local row
    first, then the gateway's PaymentIntent with an idempotency key derived from that row. When
    the gateway cannot be reached nothing is kept (503); the same request later makes the same
    intent. The application's row lock makes twin requests (a double click) wait for the first
    and give back its payment. `on_created` runs in the transaction that creates the payment
    (the route keeps its `Idempotency-Key` answer there, so that a twin finds it)."""
    application = get_application(user, application_id)
    if application.applicant_id != user.id:
        raise NotFound()
    application = db.session.scalar(
        sa.select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if application.state != State.PAYMENT_PENDING:
        raise Conflict(
            code="not_payable", detail=N_("This application is not waiting for a payment.")
        )
    existing = open_payment(application.id)
    if existing is not None:
        return existing, False
    payment = Payment(
        reference=payment_reference(application),
        authority_id=application.authority_id,
        application_id=application.id,
        payer_id=user.id,
        amount_baisa=application.fee_baisa,
        currency="omr",
        state=lifecycle.PENDING,
    )
    db.session.add(payment)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # A twin made the same attempt first (SQLite has no row locks): give back its payment.
        db.session.rollback()
        twin = open_payment(application_id)
        if twin is None:
            raise
        return twin, False
    # The payment is named by its reference, not its row id: a row made during an outage is
    # rolled back, and the retry must send the very same parameters with the same key (Stripe
    # refuses a key reused with other parameters).
    metadata = {
        "application": application.reference,
        "authority": application.authority.code,
        "payment": payment.reference,
    }
    try:
        intent = gateway().create_intent(payment.amount_baisa, "omr", metadata, payment.reference)
    except GatewayUnavailable as error:
        db.session.rollback()
        log.warning(
            "payment gateway unavailable",
            extra={"application_id": application_id, "error": type(error).__name__},
        )
        raise ServiceUnavailable(
            code="gateway_unavailable",
            detail=N_("The payment gateway cannot be reached; try again shortly."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from error
    except GatewayRefused as error:
        db.session.rollback()
        log.error("payment gateway refused an intent", extra={"application_id": application_id})
        raise Conflict(
            code="gateway_refused", detail=N_("The payment gateway refused the payment.")
        ) from error
    payment.gateway_intent_id, payment.client_secret = intent.id, intent.client_secret
    record_change(
        "payment.created",
        "payment",
        payment.reference,
        authority_id=payment.authority_id,
        after={"amount": payment.amount_baisa, "intent": intent.id},
    )
    if on_created is not None:
        on_created(payment)
    db.session.commit()
    return payment, True


# --- Idempotency-Key ---------------------------------------------------------------------------


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def remembered_answer(user: User, key: str, print_: str) -> IdempotentRequest | None:
    """The first answer given to this key, or None; 409 when the key came with another request."""
    found = db.session.scalar(
        sa.select(IdempotentRequest).where(
            IdempotentRequest.user_id == user.id, IdempotentRequest.key == key
        )
    )
    if found is not None and found.fingerprint != print_:
        raise Conflict(
            code="idempotency_key_reused",
            detail=N_("This Idempotency-Key was used with a different request."),
        )
    return found


def stage_answer(user: User, key: str, print_: str, status: int, body: dict[str, Any]) -> None:
    """Add the answer for this key to the current transaction (the caller commits)."""
    db.session.add(
        IdempotentRequest(user_id=user.id, key=key, fingerprint=print_, status=status, body=body)
    )


def remember_answer(
    user: User, key: str, print_: str, status: int, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Keep the answer for this key; when a concurrent twin kept its answer first, that first
    answer is the one to give (or 409 if the twin came with another request)."""
    stage_answer(user, key, print_, status, body)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        first = remembered_answer(user, key, print_)
        return first.status, first.body
    return status, body


# --- Webhooks ---------------------------------------------------------------------------------


def receive_webhook(payload: bytes, signature: str | None) -> PaymentEvent | None:
    """Verify the signature on the raw body and record the event once; its work is done in a job.
    Returns None for an event already recorded."""
    if not signature:
        raise BadRequest(
            code="signature_missing", detail=N_("The Stripe-Signature header is missing.")
        )
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"], tolerance=300
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        log.warning("webhook refused", extra={"reason": type(error).__name__})
        raise BadRequest(
            code="signature_invalid", detail=N_("The webhook signature is not valid.")
        ) from error
    data = event.to_dict()
    obj = (data.get("data") or {}).get("object") or {}
    row = PaymentEvent(
        gateway_event_id=data["id"],
        type=data["type"],
        gateway_intent_id=obj.get("id")
        if obj.get("object") == "payment_intent"
        else obj.get("payment_intent"),
        payload=data,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        log.info("webhook event already recorded", extra={"gateway_event_id": data["id"]})
        return None
    enqueue(PROCESS_EVENT, row.id, queue="high", job_id=f"payment-event-{row.id}")
    db.session.commit()
    return row


def process_event(event_row_id: int) -> str:
    """Job: apply one recorded event to its payment, under the payment's row lock."""
    event = db.session.get(PaymentEvent, event_row_id)
    if event is None or event.processed_at is not None:
        return "already processed"
    if event.type in REFUND_EVENTS:
        outcome = _apply_refund_event(event)
    elif event.type not in HANDLED_EVENTS:
        outcome = "ignored"
    else:
        card = _card_details(event) if _needs_card_details(event) else {}
        payment = db.session.scalar(
            sa.select(Payment)
            .where(Payment.gateway_intent_id == event.gateway_intent_id)
            .with_for_update()
        )
        if payment is None:
            log.warning(
                "webhook for an unknown payment intent",
                extra={"gateway_event_id": event.gateway_event_id},
            )
            outcome = "unknown intent"
        else:
            event.payment_id = payment.id
            obj = {**event.payload["data"]["object"], **card}
            outcome = apply_gateway_status(
                payment, _status_of(event.type), obj, source=f"webhook {event.type}"
            )
    event = db.session.get(PaymentEvent, event_row_id, with_for_update=True, populate_existing=True)
    if event.processed_at is None:
        event.processed_at, event.outcome = utcnow(), outcome
    db.session.commit()
    return outcome


def _apply_refund_event(event: PaymentEvent) -> str:
    from refunds.models import Refund
    from refunds.payout import record_gateway_answer

    obj = event.payload["data"]["object"]
    refund_id = db.session.scalar(
        sa.select(Refund.id).where(Refund.gateway_refund_id == obj.get("id"))
    )
    metadata = obj.get("metadata") or {}
    if refund_id is None and metadata.get("refund"):
        # Not (or no longer) the refund's current gateway refund: our metadata says whose it is,
        # and its key says which round (the first round's key is the reference itself).
        refund_id = db.session.scalar(
            sa.select(Refund.id).where(Refund.reference == metadata["refund"])
        )
    if refund_id is None:
        return "unknown refund"
    return record_gateway_answer(
        refund_id,
        obj["id"],
        obj.get("status", "pending"),
        obj.get("failure_reason"),
        key=metadata.get("idempotency_key") or metadata.get("refund"),
    )


def _needs_card_details(event: PaymentEvent) -> bool:
    """Only a success that will change the payment asks the gateway for the card (a duplicate or
    late success of a payment already succeeded does not call out)."""
    if event.type != "payment_intent.succeeded":
        return False
    state = db.session.scalar(
        sa.select(Payment.state).where(Payment.gateway_intent_id == event.gateway_intent_id)
    )
    return state is not None and state != lifecycle.SUCCEEDED


def _card_details(event: PaymentEvent) -> dict[str, str | None]:
    """The card's brand and last digits, asked of the gateway before the payment row is locked
    (a receipt shows them); missing is not fatal."""
    try:
        intent = gateway().retrieve_intent(event.gateway_intent_id)
    except (GatewayUnavailable, GatewayRefused):
        return {}
    return {"card_brand": intent.card_brand, "card_last4": intent.card_last4}


def _status_of(event_type: str) -> str:
    return {
        "payment_intent.succeeded": lifecycle.SUCCEEDED,
        "payment_intent.payment_failed": lifecycle.FAILED,
        "payment_intent.canceled": lifecycle.CANCELED,
    }[event_type]


def apply_gateway_status(
    payment: Payment, target: str, intent: dict[str, Any] | Intent, source: str
) -> str:
    """Move a locked payment to what the gateway says, once; the caller commits.

    Success marks the payment, moves the application out of payment_pending (starting its SLA
    clock) and writes the payment notices, all in the caller's transaction."""
    if payment.state == target and target != lifecycle.FAILED:
        return f"already {target}"
    if not lifecycle.can_move(payment.state, target):
        return f"ignored: {payment.state} cannot become {target}"
    details = intent if isinstance(intent, dict) else intent.__dict__
    before = payment.state
    payment.state = target
    if target == lifecycle.SUCCEEDED:
        payment.succeeded_at = utcnow()
        charge = details.get("latest_charge") or details.get("charge_id")
        payment.gateway_charge_id = charge.get("id") if isinstance(charge, dict) else charge
        payment.card_brand = payment.card_brand or details.get("card_brand")
        payment.card_last4 = payment.card_last4 or details.get("card_last4")
        payment.failure_code = payment.failure_message = None
        confirm_payment(payment.application_id, commit=False)
        _notify_paid(payment, issue_receipt(payment))
    elif target == lifecycle.CANCELED:
        # Stripe's cancellation_reason: abandoned, duplicate, requested_by_customer, automatic...
        payment.failure_code = (details.get("cancellation_reason") or "canceled")[:100]
        payment.failure_message = None
    elif target == lifecycle.FAILED:
        error = details.get("last_payment_error") or {}
        payment.failure_code = (
            error.get("code") if error else details.get("failure_code")
        ) or "payment_failed"
        payment.failure_message = (
            (error.get("message") if error else details.get("failure_message")) or ""
        )[:500]
    record_change(
        f"payment.{target}",
        "payment",
        payment.reference,
        authority_id=payment.authority_id,
        before={"state": before},
        after={"state": target, "source": source},
    )
    log.info("payment moved", extra={"payment_id": payment.id, "state": target})
    return target


def _notify_paid(payment: Payment, receipt) -> None:
    """The payment notices: the e-mail carries the receipt, the SMS its number and link."""
    application = payment.application
    notify(
        application.applicant,
        "payment_received",
        {
            "reference": application.reference,
            "amount": format_baisa(payment.amount_baisa),
            "service_ar": application.service.name_ar,
            "service_en": application.service.name_en,
            "receipt_number": receipt.number,
            "verify_url": verify_url(receipt),
        },
        subject=("payment", payment.reference),
        authority_id=payment.authority_id,
        attachments=[attachment_of(receipt)],
    )
