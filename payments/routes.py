"""Payments API: paying a fee, the gateways' webhooks, and the finance views."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

import sqlalchemy as sa
from flask import Response, current_app, json, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.access import PUBLIC, allow, require_user
from app.accounts.models import Role, User
from app.catalogue.models import Service
from app.errors import BadRequest, NotFound, ValidationFailed
from app.extensions import db
from app.files import attachment
from app.i18n import N_, in_language
from app.input import signed_raw_body
from app.maintenance.hooks import maintenance_exempt
from app.money import Money, format_baisa
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import MuscatDateTime
from app.timeutil import MUSCAT
from licensing.models import Application
from payments import gateways, services, webhooks
from payments.models import Payment, PaymentEvent, ReconciliationFinding

blp = Blueprint(
    "payments", __name__, url_prefix="/api/v1", description="Fee payments (Stripe, and others)"
)
FINANCE = (Role.FINANCE, Role.AUDITOR)  # every finance view is a read; auditors read them too
ALL_SERVICES = N_("All services")
GATEWAY_NOT_A_NAME = N_("Give the payment gateway's name.")


def _next_action(payment: Payment) -> str | None:
    if payment.client_secret:
        return "confirm"
    return "redirect" if payment.redirect_url else None


class PaymentStartSchema(Schema):
    payment_id = fields.Integer(attribute="id")
    reference = fields.String()
    state = fields.String()
    amount = Money(attribute="amount_baisa")
    currency = fields.Function(lambda p: p.currency.upper())
    gateway = fields.String(metadata={"description": "The gateway paid through (stripe, thawani)"})
    gateway_intent_id = fields.String()
    client_secret = fields.String(
        metadata={"description": "Stripe: the client confirms the payment with Stripe.js"}
    )
    redirect_url = fields.String(
        metadata={"description": "A hosted payment page: the client sends the payer there"}
    )
    next_action = fields.Function(
        _next_action,
        metadata={
            "type": "string",
            "enum": ["confirm", "redirect"],
            "description": "What the client does next: confirm with client_secret, or redirect",
        },
    )
    publishable_key = fields.Function(
        lambda p: gateways.client_key(gateways.plugin(p.gateway)),
        metadata={"type": "string", "nullable": True},
    )


class PaymentSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    state = fields.String()
    amount = Money(attribute="amount_baisa")
    application = fields.Function(lambda p: p.application.reference)
    service = fields.Function(lambda p: p.application.service.code)
    payer = fields.Function(lambda p: {"id": p.payer.id, "name": p.payer.name})
    gateway = fields.String()
    gateway_intent_id = fields.String(allow_none=True)
    gateway_charge_id = fields.String(allow_none=True)
    card_brand = fields.String(allow_none=True)
    card_last4 = fields.String(allow_none=True)
    failure_code = fields.String(allow_none=True)
    failure_message = fields.String(allow_none=True)
    receipt = fields.Function(
        # Receipts finds a payment's receipt (receipts -> payments is the direction allowed);
        # the app factory hands payments its look-up.
        lambda p: current_app.extensions["payment_receipt_link"](p.id),
        metadata={
            "type": "object",
            "nullable": True,
            "description": "The payment's receipt (number, and url of the PDF); null until paid",
        },
    )
    created_at = MuscatDateTime()
    succeeded_at = MuscatDateTime(allow_none=True)


class GatewayEventSchema(Schema):
    gateway = fields.String()
    gateway_event_id = fields.String()
    type = fields.String()
    received_at = MuscatDateTime()
    processed_at = MuscatDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)


class PaymentDetailSchema(PaymentSchema):
    events = fields.Method("_events")

    def _events(self, payment):
        rows = db.session.scalars(
            sa.select(PaymentEvent)
            .where(PaymentEvent.payment_id == payment.id)
            .order_by(PaymentEvent.id)
        )
        return GatewayEventSchema(many=True).dump(rows)


class PaymentQuery(Schema):
    date_from = fields.Date(
        data_key="from", metadata={"description": "First day (Asia/Muscat), inclusive"}
    )
    date_to = fields.Date(
        data_key="to", metadata={"description": "Last day (Asia/Muscat), inclusive"}
    )
    state = fields.String(
        validate=validate.OneOf(["pending", "failed", "succeeded", "canceled", "expired"])
    )
    service = fields.String()
    application = fields.String(metadata={"description": "Application reference"})
    payer = fields.String(metadata={"description": "Civil ID, or part of the payer's name"})


class ReportQuery(Schema):
    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)


class FindingSchema(Schema):
    id = fields.Integer()
    payment = fields.Function(lambda f: f.payment.reference)
    kind = fields.String()
    local_state = fields.String()
    gateway_state = fields.String(allow_none=True)
    repaired = fields.Boolean()
    note = fields.String(allow_none=True)
    found_at = MuscatDateTime()


def _json(body, status: int) -> Response:
    return current_app.response_class(json.dumps(body), status=status, mimetype="application/json")


@blp.route("/applications/<int:application_id>/payment")
class Pay(MethodView):
    @allow(Role.APPLICANT)
    @blp.response(201, PaymentStartSchema)
    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "schema": {"type": "string", "maxLength": 100},
                "description": "Same key and body: the first answer again; other body: 409",
            }
        ],
        requestBody={
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "gateway": {
                                "type": "string",
                                "description": "One the authority offers; default its first",
                            }
                        },
                    }
                }
            },
        },
    )
    def post(self, application_id):
        """Pay the fee: creates (or gives back the still-open) payment; answers what to do next"""
        user = require_user()
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 100:
            raise BadRequest(
                code="idempotency_key_invalid",
                detail=N_("The Idempotency-Key must be 1 to 100 characters."),
            )
        print_ = services.fingerprint("POST", request.path, request.get_data()) if key else None
        if key and (found := services.remembered_answer(user, key, print_)) is not None:
            return _json(found.body, found.status)

        def keep_first_answer(payment) -> None:  # in the transaction that creates the payment
            services.stage_answer(user, key, print_, 201, PaymentStartSchema().dump(payment))

        payment, created = services.start_payment(
            user, application_id, _gateway_chosen(), on_created=keep_first_answer if key else None
        )
        status = 201 if created else 200
        body = PaymentStartSchema().dump(payment)
        if key and not created:
            # Given back, not made: the answer kept for this key (by whoever made it) wins.
            status, body = services.remember_answer(user, key, print_, status, body)
        return _json(body, status)


def _gateway_chosen() -> str | None:
    """The gateway the client asks for in the (optional) JSON body; other fields are ignored."""
    body = request.get_json(silent=True) if request.content_length else None
    chosen = body.get("gateway") if isinstance(body, dict) else None
    if chosen is not None and not isinstance(chosen, str):
        raise ValidationFailed({"gateway": [GATEWAY_NOT_A_NAME]})
    return chosen


@blp.route("/payments/<string:gateway>/webhook")
class GatewayWebhook(MethodView):
    @signed_raw_body
    @allow(PUBLIC)
    @maintenance_exempt
    @blp.response(200)
    def post(self, gateway):
        """A gateway's events (/payments/stripe/webhook, /payments/thawani/webhook), verified by
        its signature on the raw body (Stripe-Signature; thawani-signature with
        thawani-timestamp); an unknown gateway is 404"""
        webhooks.receive_webhook(gateway, request.get_data(), request.headers)
        return _json({"received": True}, 200)


def _payments_query(user: User, query: dict) -> sa.Select:
    select = sa.select(Payment).where(Payment.authority_id == user.authority_id)
    if query.get("date_from"):
        select = select.where(Payment.created_at >= _start_of(query["date_from"]))
    if query.get("date_to"):
        select = select.where(
            Payment.created_at < _start_of(query["date_to"] + dt.timedelta(days=1))
        )
    if query.get("state"):
        select = select.where(Payment.state == query["state"])
    if query.get("service"):
        select = select.where(
            Payment.application.has(Application.service.has(Service.code == query["service"]))
        )
    if query.get("application"):
        select = select.where(
            Payment.application.has(Application.reference == query["application"])
        )
    if query.get("payer"):
        payer = query["payer"]
        select = select.where(
            Payment.payer.has(sa.or_(User.civil_id == payer, User.name.ilike(f"%{payer}%")))
        )
    return select.order_by(Payment.id.desc())


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=MUSCAT)


@blp.route("/payments")
class Payments(MethodView):
    @allow(*FINANCE)
    @blp.arguments(PaymentQuery, location="query")
    @blp.response(200, PaymentSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Payments of your authority: by date, state, service, application, payer"""
        return _payments_query(require_user(), query)


@blp.route("/payments/<int:payment_id>")
class PaymentItem(MethodView):
    @allow(*FINANCE)
    @blp.response(200, PaymentDetailSchema)
    def get(self, payment_id):
        """One payment with its gateway references and event history"""
        payment = db.session.get(Payment, payment_id)
        if payment is None or payment.authority_id != require_user().authority_id:
            raise NotFound()
        return payment


@blp.route("/payments/reports/daily.csv")
class DailyReport(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ReportQuery, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, query):
        """Daily collection report: succeeded payments per service per day (Asia/Muscat), CSV"""
        user = require_user()
        rows = db.session.execute(
            sa.select(
                Payment.succeeded_at,
                Payment.amount_baisa,
                Service.code,
                Service.name_en,
                Service.name_ar,
            )
            .join(Application, Payment.application_id == Application.id)
            .join(Service)
            .where(
                Payment.authority_id == user.authority_id,
                Payment.state == "succeeded",
                Payment.succeeded_at >= _start_of(query["date_from"]),
                Payment.succeeded_at < _start_of(query["date_to"] + dt.timedelta(days=1)),
            )
        )
        totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for succeeded_at, amount, code, name_en, name_ar in rows:
            total = totals[(succeeded_at.astimezone(MUSCAT).date(), code, name_en, name_ar)]
            total[0] += 1
            total[1] += amount
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["date", "service_code", "service_name_en", "service_name_ar", "payments", "total_omr"]
        )
        day_totals: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
        for (day, code, name_en, name_ar), (count, amount) in sorted(totals.items()):
            writer.writerow([day.isoformat(), code, name_en, name_ar, count, format_baisa(amount)])
            day_totals[day][0] += count
            day_totals[day][1] += amount
        for day, (count, amount) in sorted(day_totals.items()):
            writer.writerow(
                [
                    day.isoformat(),
                    "ALL",
                    in_language("en", ALL_SERVICES),
                    in_language("ar", ALL_SERVICES),
                    count,
                    format_baisa(amount),
                ]
            )
        return attachment(
            out.getvalue(), "text/csv", f"collections-{query['date_from']}-{query['date_to']}.csv"
        )


@blp.route("/payments/reconciliation")
class Reconciliation(MethodView):
    @allow(*FINANCE)
    @blp.response(200, FindingSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self):
        """What reconciliation with the gateway found, and what it repaired"""
        return (
            sa.select(ReconciliationFinding)
            .where(ReconciliationFinding.authority_id == require_user().authority_id)
            .order_by(ReconciliationFinding.id.desc())
        )
