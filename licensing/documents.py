"""Documents: an application's uploads (checked by `app.files.uploads`) and licence PDFs."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.audit import record_change
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.files.storage import keep_generated, storage
from app.files.uploads import REFUSED_FILE, UPLOAD_PROBLEMS, accept_file
from app.i18n import N_
from licensing.lifecycle import State
from licensing.models import Application, Document, Licence
from licensing.services import caller_role, get_application

log = logging.getLogger(__name__)

UPLOAD_STATES = frozenset({State.DRAFT, State.INFO_REQUESTED})

# The problems an upload of an application's document can be refused with: documented in OpenAPI
# and the README, and the upload tests check each one against this table.
DOCUMENT_UPLOAD_PROBLEMS: dict[int, tuple[tuple[str, str], ...]] = {
    409: (("documents_closed", "the application takes no documents in its current stage"),),
    **UPLOAD_PROBLEMS,
    422: (
        (
            "validation_failed",
            f"{REFUSED_FILE}; no file; or a document code the service does not ask for "
            "(`errors` names the field)",
        ),
    ),
}


def upload_document(
    actor: User, application_id: int, document_code: str, filename: str | None, content: bytes
) -> Document:
    """Keep an applicant's file for one of the service's documents."""
    application = get_application(actor, application_id)
    if actor.role != Role.APPLICANT:
        raise NotFound()
    if application.state not in UPLOAD_STATES:
        raise Conflict(
            code="documents_closed",
            detail=N_("Documents can be added only to a draft, or when asked."),
        )
    codes = {d["code"] for d in application.required_documents}
    if document_code not in codes:
        raise ValidationFailed({"document_code": [N_("This service asks for no such document.")]})
    stored = accept_file(filename, content)
    document = Document(
        application_id=application.id,
        owner_id=actor.id,
        authority_id=application.authority_id,
        document_code=document_code,
        **stored.columns(),
    )
    db.session.add(document)
    db.session.flush()
    record_change(
        "application.document_uploaded",
        "application",
        application.reference,
        authority_id=application.authority_id,
        after={
            "document_id": document.id,
            "document_code": document_code,
            "sha256": stored.sha256,
            "size": stored.size,
        },
    )
    log.info(
        "document stored", extra={"document_id": document.id, "application_id": application.id}
    )
    return document


def get_document(actor: User, document_id: int) -> tuple[Document, bytes]:
    """The document and its bytes, for its owner or staff of its authority; else 404."""
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound()
    caller_role(db.session.get(Application, document.application_id), actor)
    return document, storage().load(document.storage_key)


def documents_query(actor: User, application_id: int) -> sa.Select:
    application = get_application(actor, application_id)
    return (
        sa.select(Document).where(Document.application_id == application.id).order_by(Document.id)
    )


LABELS_AR = {
    "landlord_name": "اسم المؤجر",
    "landlord_civil_id": "الرقم المدني للمؤجر",
    "tenant_name": "اسم المستأجر",
    "tenant_civil_id": "الرقم المدني للمستأجر",
    "property_reference": "رقم العقار",
    "use": "الاستعمال",
    "monthly_rent": "الإيجار الشهري (ر.ع)",
    "start_date": "تاريخ البدء",
    "end_date": "تاريخ الانتهاء",
    "holder_civil_id": "الرقم المدني لحامل البطاقة",
    "holder_name": "اسم حامل البطاقة",
    "nationality": "الجنسية",
    "occupation": "المهنة",
    "establishment_cr": "السجل التجاري للمنشأة",
    "medical_examination_reference": "رقم الفحص الطبي",
    "plate_number": "رقم اللوحة",
    "sign_type": "نوع الملصق",
    "sign_width_cm": "عرض الملصق (سم)",
    "sign_height_cm": "ارتفاع الملصق (سم)",
    "wording_ar": "النص العربي",
    "wording_en": "النص الإنجليزي",
    "plot_number": "رقم القطعة",
    "land_use": "استعمال الأرض",
    "floors": "عدد الطوابق",
    "built_area_m2": "مساحة البناء (م²)",
    "consultant_licence_number": "رقم ترخيص الاستشاري",
    "drawings": "المخططات",
    "cr_number": "رقم السجل التجاري",
    "activity": "النشاط",
    "premises_location": "موقع المحل",
    "premises_area_m2": "مساحة المحل (م²)",
}


def _shown_value(family: str, key: str, value: Any) -> str:
    """A detail as the licence prints it: amounts with three decimals, personal IDs masked
    (as the holder's own), lists joined."""
    from app.accounts.services import mask
    from app.money import format_baisa
    from licensing.families.schemas import money_fields, personal_id_fields

    if key in money_fields(family) and isinstance(value, int):
        return format_baisa(value)
    if key in personal_id_fields(family):
        return mask(str(value))
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _label_en(family: str, key: str) -> str:
    from licensing.families.schemas import money_fields

    label = key.replace("_", " ").capitalize()
    return f"{label} (OMR)" if key in money_fields(family) else label


def licence_context(licence: Licence) -> dict[str, Any]:
    from app.accounts.services import mask
    from licensing.register import verification_url

    holder = licence.holder
    return {
        "authority_name_ar": licence.authority.name_ar,
        "authority_name_en": licence.authority.name_en,
        "number": licence.number,
        "service_name_ar": licence.service.name_ar,
        "service_name_en": licence.service.name_en,
        "holder_name": holder.trade_name or holder.name,
        "holder_id_masked": mask(holder.cr_number or holder.civil_id),
        "details": [
            {
                "label_ar": LABELS_AR.get(k, k),
                "label_en": _label_en(licence.family, k),
                "value": _shown_value(licence.family, k, v),
            }
            for k, v in sorted(licence.details.items())
            if not isinstance(v, dict)
        ],
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "issued_at": licence.updated_at or licence.created_at,
        "verify_url": verification_url(licence),
    }


def render_licence_document(licence_id: int) -> None:
    """Job: render the licence's bilingual PDF and keep it with its SHA-256 (the job's unit of
    work commits the row)."""
    from app.pdf import render_pdf

    licence = db.session.get(Licence, licence_id)
    if licence is None:
        return
    pdf = render_pdf("licence.html.j2", licence_context(licence))
    licence.document_key, licence.document_sha256 = keep_generated(f"licence-{licence.id}", pdf)
    log.info("licence document rendered", extra={"licence_id": licence.id})
