"""Receipts API: the PDF for its payer and finance staff, and public verification."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.access import PUBLIC, allow, require_user
from app.accounts.models import Role
from app.files import attachment
from app.money import Money
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import MuscatDateTime
from app.timeutil import MUSCAT
from receipts import services

blp = Blueprint(
    "receipts", __name__, url_prefix="/api/v1/receipts", description="Receipts and credit notes"
)


class ReceiptVerifyQuery(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=80))


class ReceiptVerificationSchema(Schema):
    valid = fields.Boolean()
    authority = fields.Dict()
    amount = Money(attribute="amount_baisa", metadata={"description": "Negative for a credit note"})
    date = fields.Date()
    service = fields.Dict()


class ReceiptQuery(Schema):
    application = fields.String(
        validate=validate.Length(min=1, max=30), metadata={"description": "Application reference"}
    )
    kind = fields.String(validate=validate.OneOf(["receipt", "credit_note"]))


def _service(receipt) -> dict:
    return {
        "code": receipt.service_code,
        "name_ar": receipt.service_name_ar,
        "name_en": receipt.service_name_en,
    }


class ReceiptSchema(Schema):
    number = fields.String(metadata={"description": "GET /api/v1/receipts/{number} is its PDF"})
    kind = fields.String(metadata={"description": "receipt, or credit_note"})
    amount = Money(attribute="amount_baisa", metadata={"description": "Negative for a credit note"})
    issued_at = MuscatDateTime()
    application = fields.String(attribute="application_reference")
    service = fields.Function(_service)
    refers_to = fields.Function(
        lambda r: r.refers_to.number if r.refers_to else None,
        metadata={"description": "A credit note's receipt"},
    )
    verification_url = fields.Function(
        services.verify_url, metadata={"description": "Public verification: what the QR code says"}
    )


@blp.route("")
class Receipts(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.arguments(ReceiptQuery, location="query")
    @blp.response(200, ReceiptSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, filters):
        """Receipts and credit notes: your own, or (finance) your authority's; by application"""
        return services.receipts_query(require_user(), filters)


class LinkSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    url = fields.String()


class DocumentLinkSchema(Schema):
    number = fields.String()
    url = fields.String(metadata={"description": "The PDF"})


class ReceiptDetailSchema(Schema):
    number = fields.String()
    kind = fields.String(metadata={"enum": ["receipt", "credit_note"]})
    issued_at = MuscatDateTime()
    amount = Money(attribute="amount_baisa", metadata={"description": "Negative for a credit note"})
    application = fields.String(attribute="application_reference")
    payment = fields.Nested(LinkSchema, metadata={"description": "The payment it is for"})
    refund = fields.Nested(
        LinkSchema, allow_none=True, metadata={"description": "A credit note's refund; else null"}
    )
    refers_to = fields.Nested(
        DocumentLinkSchema,
        allow_none=True,
        metadata={"description": "A credit note's receipt; else null"},
    )
    credit_notes = fields.List(
        fields.Nested(DocumentLinkSchema), metadata={"description": "A receipt's credit notes"}
    )
    document_url = fields.String(metadata={"description": "The PDF"})
    verification_url = fields.String(metadata={"description": "The public check (the QR code)"})


@blp.route("/<string:number>")
class ReceiptDocument(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    def get(self, number):
        """The receipt or credit note as a PDF (its payer, or finance staff of its authority)"""
        receipt = services.find_receipt(require_user(), number)
        return attachment(services.receipt_pdf(receipt), "application/pdf", f"{receipt.number}.pdf")


@blp.route("/<string:number>/details")
class ReceiptDetails(MethodView):
    @allow(Role.APPLICANT, Role.FINANCE)
    @blp.response(200, ReceiptDetailSchema)
    def get(self, number):
        """What a receipt or credit note is and is linked to: payment, refund, receipt, PDF"""
        receipt = services.find_receipt(require_user(), number)
        return {
            "number": receipt.number,
            "kind": receipt.kind,
            "issued_at": receipt.issued_at,
            "amount_baisa": receipt.amount_baisa,
            "application_reference": receipt.application_reference,
            **services.receipt_links(receipt),
            "document_url": services.document_url(receipt.number),
            "verification_url": services.verify_url(receipt),
        }


@blp.route("/<string:number>/verify")
class ReceiptVerification(MethodView):
    @allow(PUBLIC)
    @blp.arguments(ReceiptVerifyQuery, location="query")
    @blp.response(200, ReceiptVerificationSchema)
    def get(self, query, number):
        """Check a receipt from its QR code: validity, authority, amount, date and service only"""
        receipt = services.verify_receipt(number, query["code"])
        return {
            "valid": True,
            "authority": {
                "code": receipt.authority.code,
                "name_ar": receipt.authority.name_ar,
                "name_en": receipt.authority.name_en,
            },
            "amount_baisa": receipt.amount_baisa,
            "date": receipt.issued_at.astimezone(MUSCAT).date(),
            "service": _service(receipt),
        }
