"""Refunds API: the applicant asks and proves; finance reviews, decides and pays back."""

from __future__ import annotations

import re

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from app.access import allow, current_user, require_user
from app.accounts.models import Role
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.files import attachment
from app.files.storage import storage
from app.files.uploads import FILE_TYPES, UPLOAD_PROBLEMS
from app.i18n import N_
from app.input import accepts_files, uploaded_file
from app.limits import rate_limited
from app.money import Money
from app.openapi import file_response, problems, upload_form
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import MuscatDateTime, StoredFileSchema, TimelineEventSchema
from refunds import decisions, intake, lifecycle, queries
from refunds.models import RefundEvent, RefundFile

EVIDENCE_KINDS = ("bank_statement", "transaction_receipt", "transfer_proof")
blp = Blueprint("refunds", __name__, url_prefix="/api/v1", description="Refunds")
REASONS = (
    "duplicate_payment",
    "application_rejected_or_withdrawn",
    "overcharge",
    "service_not_delivered",
    "other",
)
IBAN_LENGTHS = {"OM": 23, "AE": 23, "SA": 24, "BH": 22, "QA": 29, "KW": 30, "GB": 22, "DE": 22}


def normalise_iban(value: str) -> str:
    """An IBAN as people type it ("om81 0180 …") as it is stored: no spaces, upper case."""
    return re.sub(r"\s+", "", value).upper()


def iban_is_valid(value: str) -> bool:
    """ISO 13616: country, two check digits, account; mod 97 of the rearranged number is 1."""
    iban = normalise_iban(value)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", iban):
        return False
    if IBAN_LENGTHS.get(iban[:2], len(iban)) != len(iban):
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


class Iban(fields.String):
    """An IBAN: accepted with spaces and in lower case, checked and kept in its compact form
    (at most 34 characters, which is what the column holds)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        iban = normalise_iban(super()._deserialize(value, attr, data, **kwargs))
        if not iban_is_valid(iban):
            raise ValidationError(N_("This IBAN is not valid (its check digits do not match)."))
        return iban


def _positive_amount(**kwargs) -> Money:
    """An amount of money to refund: "0.000" is refused, never read as "everything"."""
    return Money(
        validate=validate.Range(min=1, error=N_("The amount must be more than zero.")), **kwargs
    )


class RefundInput(Schema):
    amount = _positive_amount(
        metadata={"description": "At most what is still refundable; all of it by default"}
    )
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    reason_text = fields.String(validate=validate.Length(max=2000))
    method = fields.String(
        validate=validate.OneOf(("card", "bank_transfer")),
        metadata={
            "description": "By default the card, while the payment is inside the card refund "
            "window (REFUND_CARD_WINDOW_DAYS), else a bank transfer; a card refund past the "
            "window is refused"
        },
    )
    iban = Iban(metadata={"example": "OM81 0180 0000 0129 9123 456"})
    account_holder = fields.String(validate=validate.Length(min=2, max=200))


class RefundActionInput(Schema):
    amount = _positive_amount()
    iban = Iban(metadata={"example": "OM81 0180 0000 0129 9123 456"})
    account_holder = fields.String(validate=validate.Length(min=2, max=200))
    note = fields.String(validate=validate.Length(min=1, max=2000))
    reason_ar = fields.String(validate=validate.Length(min=1, max=2000))
    reason_en = fields.String(validate=validate.Length(min=1, max=2000))
    transfer_reference = fields.String(validate=validate.Length(min=1, max=100))


class RefundFileSchema(StoredFileSchema):
    kind = fields.String()


class RefundSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    state = fields.String()
    payment = fields.Function(lambda r: r.payment.reference)
    application = fields.Function(lambda r: r.payment.application.reference)
    amount_requested = Money()
    amount_approved = Money(allow_none=True)
    reason = fields.String()
    reason_text = fields.String(allow_none=True)
    method = fields.String()
    iban = fields.Method(
        "_iban",
        metadata={"description": "In full for finance staff of the authority, masked otherwise"},
    )
    account_holder = fields.String(allow_none=True)
    awaiting_second_approval = fields.Function(
        lambda r: (
            r.state in lifecycle.OPEN
            and r.first_approver_id is not None
            and r.second_approver_id is None
            and (r.amount_approved or 0) > current_app.config["REFUND_SECOND_APPROVAL_BAISA"]
        )
    )
    rejection_reason_ar = fields.String(allow_none=True)
    rejection_reason_en = fields.String(allow_none=True)
    transfer_reference = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    attention = fields.String(
        allow_none=True,
        metadata={"description": "A gateway answer finance must look at (resolve_attention)"},
    )
    sla_due_date = fields.Date(allow_none=True)
    sla_due_at = MuscatDateTime(
        allow_none=True,
        metadata={"description": "The due moment of a target in working minutes, else null"},
    )
    credit_note = fields.Function(
        lambda r: current_app.extensions["refund_credit_note_link"](r.id),
        metadata={
            "type": "object",
            "nullable": True,
            "description": "The refund's credit note (number, and url of the PDF); null until "
            "refunded",
        },
    )
    created_at = MuscatDateTime()
    refunded_at = MuscatDateTime(allow_none=True)
    files = fields.Method("_files")
    timeline = fields.Method("_timeline")

    def _iban(self, refund):
        if not refund.iban:
            return None
        user = current_user()
        if user is not None and queries.may_see_iban(user, refund):
            return refund.iban  # they make the transfer
        return "•" * (len(refund.iban) - 4) + refund.iban[-4:]

    def _files(self, refund):
        rows = db.session.scalars(
            db.select(RefundFile).where(RefundFile.refund_id == refund.id).order_by(RefundFile.id)
        )
        return RefundFileSchema(many=True).dump(rows)

    def _timeline(self, refund):
        rows = db.session.scalars(
            db.select(RefundEvent)
            .where(RefundEvent.refund_id == refund.id)
            .order_by(RefundEvent.id)
        )
        return TimelineEventSchema(many=True).dump(rows)


class RefundQuery(Schema):
    state = fields.String(validate=validate.OneOf(lifecycle.STATES))


@blp.route("/payments/<int:payment_id>/refunds")
class RequestRefund(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.arguments(RefundInput)
    @blp.response(201, RefundSchema)
    def post(self, data, payment_id):
        """Ask for a refund of a succeeded payment (its payer, or finance staff on their behalf)"""
        return intake.request_refund(require_user(), payment_id, data)


@blp.route("/refunds")
class Refunds(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.arguments(RefundQuery, location="query")
    @blp.response(200, RefundSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Applicants: their refunds. Finance: the authority's open refunds (all of a `state` when
        given), by SLA due date"""
        return queries.refunds_query(require_user(), query.get("state"))


@blp.route("/refunds/<int:refund_id>")
class RefundItem(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.response(200, RefundSchema)
    def get(self, refund_id):
        """One refund with its evidence and timeline"""
        return queries.get_refund(require_user(), refund_id)


@blp.route("/refunds/<int:refund_id>/actions/<string:action>")
class RefundAction(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.arguments(RefundActionInput)
    @blp.response(200, RefundSchema)
    def post(self, data, refund_id, action):
        """start_review, request_evidence, approve (amount), reject (reasons), withdraw, retry,
        switch_to_bank_transfer (iban, account_holder), transfer_failed, transfer_done
        (bank transfers: transfer_reference, after the proof), resolve_attention (note)"""
        return decisions.act(require_user(), refund_id, action, data)


@blp.route("/refunds/<int:refund_id>/files")
class RefundFiles(MethodView):
    @accepts_files
    @allow(Role.APPLICANT, Role.FINANCE)
    @rate_limited("upload")
    @blp.doc(requestBody=upload_form(kind={"type": "string", "enum": list(EVIDENCE_KINDS)}))
    @blp.response(201, RefundFileSchema)
    @problems(
        {
            **UPLOAD_PROBLEMS,
            409: (
                ("evidence_closed", "evidence is taken only before the decision"),
                ("proof_not_expected", "a transfer proof belongs to a bank transfer in progress"),
            ),
            422: (("validation_failed", "no file, an empty one, or an unknown `kind`"),),
        }
    )
    def post(self, refund_id):
        """Add evidence (applicant: bank statement, transaction receipt) or a transfer proof"""
        kind = request.form.get("kind", "")
        if kind not in EVIDENCE_KINDS:
            raise ValidationFailed(
                {"kind": [N_("Choose bank_statement, transaction_receipt or transfer_proof.")]}
            )
        filename, content = uploaded_file()
        return intake.add_file(require_user(), refund_id, kind, filename, content)


@blp.route("/refunds/<int:refund_id>/files/<int:file_id>")
class RefundFileDownload(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.doc(responses=file_response("The file as uploaded", FILE_TYPES))
    def get(self, refund_id, file_id):
        """Open a piece of evidence or a transfer proof (the applicant, or finance staff of the
        authority: bank statements are not for inspectors, department heads or admins)"""
        refund = queries.get_refund(require_user(), refund_id)
        file = db.session.get(RefundFile, file_id)
        if file is None or file.refund_id != refund.id:
            raise NotFound()
        extension = file.storage_key.rsplit(".", 1)[1]
        return attachment(
            storage().load(file.storage_key), file.content_type, f"evidence-{file.id}.{extension}"
        )
