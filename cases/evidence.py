"""Evidence files of a case: photos and documents, checked and stored as application documents
are (`app.files.uploads`, `app.files.storage`)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.files.storage import storage
from app.files.uploads import REFUSED_FILE, UPLOAD_PROBLEMS, accept_file
from app.i18n import N_
from cases.lifecycle import HANDLERS, PERSON, State
from cases.models import CaseEvidence
from cases.services import get_case

TAKES_EVIDENCE = frozenset({State.RECEIVED, State.ACKNOWLEDGED, State.IN_STUDY, State.ESCALATED})
EVIDENCE_UPLOAD_PROBLEMS: dict[int, tuple[tuple[str, str], ...]] = {
    409: (("evidence_closed", "the case is answered, closed or forwarded"),),
    **UPLOAD_PROBLEMS,
    422: (("validation_failed", f"{REFUSED_FILE}; or no file"),),
}


def upload_evidence(
    actor: User, case_id: int, filename: str | None, content: bytes
) -> CaseEvidence:
    """Keep a file for the case, from its person or the staff handling it, while it is open."""
    case, role = get_case(actor, case_id)
    if role not in HANDLERS | {PERSON}:
        raise NotFound()
    if case.state not in TAKES_EVIDENCE:
        raise Conflict(
            code="evidence_closed", detail=N_("Evidence can be added while the case is open.")
        )
    if not content:
        raise ValidationFailed({"file": [N_("Missing data for required field.")]})
    stored = accept_file(filename, content)
    evidence = CaseEvidence(
        case_id=case.id, uploaded_by_id=actor.id, authority_id=case.authority_id, **stored.columns()
    )
    db.session.add(evidence)
    db.session.flush()
    record_change(
        "case.evidence_uploaded",
        "case",
        case.reference,
        authority_id=case.authority_id,
        after={"evidence_id": evidence.id, "sha256": stored.sha256, "size": stored.size},
    )
    return evidence


def evidence_query(actor: User, case_id: int) -> sa.Select:
    case, _ = get_case(actor, case_id)
    return sa.select(CaseEvidence).where(CaseEvidence.case_id == case.id).order_by(CaseEvidence.id)


def get_evidence(actor: User, evidence_id: int) -> tuple[CaseEvidence, bytes]:
    """The file and its bytes, for whoever may see its case; else 404."""
    evidence = db.session.get(CaseEvidence, evidence_id)
    if evidence is None:
        raise NotFound()
    get_case(actor, evidence.case_id)
    return evidence, storage().load(evidence.storage_key)
