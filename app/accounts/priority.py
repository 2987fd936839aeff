"""Priority applicants (the customer charter, seed `004_…`): an applicant declares a category
(elderly, person with disability) with a supporting document; staff verify or refuse it, or
revoke a verified one, with who, when and why, audited, and the applicant told.

Who decides: a department head or admin of the customer service department (`customer_service`)
of any authority. An applicant belongs to no authority and is served by all of them, so one
verification counts everywhere; the decision is sealed in the decider's authority's audit chain.

What it changes: the applicant's verified category (`User.priority_category`, which a new
application copies); and, published as `applicant.priority_changed`, licensing then sets in one
UPDATE the `priority` of their open applications (licensing.priority), which the staff queue
orders by (licensing.services.QUEUE_ORDER) and only staff see.

`python -m app.accounts.priority` prints the graph.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.accounts.priority_models import (
    OPEN_STATES,
    PriorityCategory,
    PriorityDeclaration,
    PriorityState,
)
from app.audit import record_change
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.events import publish
from app.extensions import db
from app.files.storage import storage
from app.files.uploads import accept_file
from app.i18n import N_, in_language
from app.notifications.services import notify
from app.workflow import Step, Transition, Workflow, audited, fire, register, transition

VERIFYING_DEPARTMENT = "customer_service"
VERIFIER = "verifier"  # the role a customer service head or admin takes on a declaration
DECIDERS = frozenset({Role.DEPARTMENT_HEAD, Role.ADMIN})
# The words of the `priority_decided` notice, in each language of its templates (the catalogue).
DECISIONS = {
    "verify": N_("Your priority category is verified"),
    "refuse": N_("Your priority declaration was refused"),
    "revoke": N_("Your priority was withdrawn"),
}
CATEGORY_NAMES = {
    PriorityCategory.ELDERLY: N_("elderly"),
    PriorityCategory.DISABILITY: N_("person with disability"),
}


def is_verifier(actor: User) -> bool:
    return (
        actor.role in DECIDERS
        and actor.department is not None
        and actor.department.code == VERIFYING_DEPARTMENT
    )


def declaration_role(declaration: PriorityDeclaration, actor: User) -> str:
    """The applicant who declared it, a verifier, or other staff (who may not decide: 403);
    another applicant gets 404."""
    if actor.role == Role.APPLICANT:
        if actor.id != declaration.applicant_id:
            raise NotFound()
        return "applicant"
    return VERIFIER if is_verifier(actor) else actor.role.value


def _decided(step: Step) -> None:
    declaration, actor = step.record, step.actor
    declaration.decided_by_id = actor.id
    declaration.decided_at = step.now
    declaration.authority_id = actor.authority_id
    declaration.reason = step.fields.get("reason")


def _apply_to_applicant(step: Step) -> None:
    """The applicant's category, and the fact published: licensing, which owns the queue, sets
    the flag of their open applications after commit (`applicant.priority_changed`)."""
    declaration = step.record
    verified = step.target == PriorityState.VERIFIED
    applicant = db.session.get(User, declaration.applicant_id)
    applicant.priority_category = declaration.category if verified else None
    publish("applicant.priority_changed", applicant_id=declaration.applicant_id)


def _tell_applicant(step: Step) -> None:
    declaration = step.record
    decision = DECISIONS[step.action]
    category = CATEGORY_NAMES[PriorityCategory(declaration.category)]
    notify(
        db.session.get(User, declaration.applicant_id),
        "priority_decided",
        {
            "declaration_reference": declaration.reference,
            "decision_ar": in_language("ar", decision),
            "decision_en": in_language("en", decision),
            "category_ar": in_language("ar", category),
            "category_en": in_language("en", category),
            "reason": declaration.reason or "",
        },
        subject=("priority_declaration", declaration.reference),
        authority_id=declaration.authority_id,
    )


_audit = audited(
    "priority_declaration",
    after=lambda step: {"category": step.record.category, "reason": step.record.reason},
)
_EFFECTS = (_decided,)
_AFTER = (_audit, _tell_applicant)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        transition(
            "verify",
            {PriorityState.PENDING},
            PriorityState.VERIFIED,
            {VERIFIER},
            effects=(_apply_to_applicant,),
            note="the document supports the category",
        ),
        transition(
            "refuse",
            {PriorityState.PENDING},
            PriorityState.REFUSED,
            {VERIFIER},
            requires=("reason",),
            note="the document does not support it; the applicant may declare again",
        ),
        transition(
            "revoke",
            {PriorityState.VERIFIED},
            PriorityState.REVOKED,
            {VERIFIER},
            requires=("reason",),
            effects=(_apply_to_applicant,),
            note="no longer holds; open applications lose their priority",
        ),
    )
}

DECLARATIONS = register(
    Workflow(
        name="priority_declaration",
        model=PriorityDeclaration,
        states=tuple(s.value for s in PriorityState),
        initial=PriorityState.PENDING.value,
        transitions=TRANSITIONS,
        role_of=declaration_role,
        before=_EFFECTS,
        after=_AFTER,
    )
)


def declare_priority(
    applicant: User, category: str, filename: str | None, content: bytes
) -> PriorityDeclaration:
    """A pending declaration of `category` with its document (checked by `accept_file`: 422,
    413, 415); 409 `priority_already_declared` while another is pending or verified."""
    if category not in {c.value for c in PriorityCategory}:
        raise ValidationFailed({"category": [N_("Choose elderly or disability.")]})
    held = db.session.scalar(
        sa.select(PriorityDeclaration.id)
        .where(
            PriorityDeclaration.applicant_id == applicant.id,
            PriorityDeclaration.state.in_(OPEN_STATES),
        )
        .limit(1)
    )
    if held is not None:
        raise Conflict(
            code="priority_already_declared",
            detail=N_("You already have a priority declaration pending or verified."),
        )
    stored = accept_file(filename, content)
    declaration = PriorityDeclaration(
        applicant_id=applicant.id, category=category, **stored.columns()
    )
    db.session.add(declaration)
    db.session.flush()
    record_change(
        "priority_declaration.declared",
        "priority_declaration",
        declaration.reference,
        authority_id=None,
        after={"category": category, "sha256": stored.sha256, "state": declaration.state},
    )
    return declaration


def decide(actor: User, declaration_id: int, action: str, data: dict[str, Any]) -> Any:
    """Verify, refuse (with a reason) or revoke (with a reason) a declaration: `fire()` on the
    table above (404 unknown, 403 not a verifier, 409 state, 422 no reason)."""
    declaration = db.session.scalar(
        sa.select(PriorityDeclaration)
        .where(PriorityDeclaration.id == declaration_id)
        .with_for_update()
    )
    if declaration is None:
        raise NotFound()
    fire(declaration, action, actor, **data)
    return declaration


def get_declaration(actor: User, declaration_id: int) -> PriorityDeclaration:
    """The declaration for its applicant or a verifier; other staff 403, anyone else 404."""
    declaration = db.session.get(PriorityDeclaration, declaration_id)
    if declaration is None:
        raise NotFound()
    if declaration_role(declaration, actor) not in ("applicant", VERIFIER):
        raise Forbidden()
    return declaration


def declaration_document(actor: User, declaration_id: int) -> tuple[PriorityDeclaration, bytes]:
    declaration = get_declaration(actor, declaration_id)
    return declaration, storage().load(declaration.storage_key)


def declarations_query(actor: User, state: str | None) -> sa.Select:
    """An applicant's own declarations (newest first); for a verifier every applicant's, oldest
    first (the order they wait in), of one state when given; other staff none (a list shows
    what its caller may see, as the queue does)."""
    query = sa.select(PriorityDeclaration)
    if actor.role == Role.APPLICANT:
        query = query.where(PriorityDeclaration.applicant_id == actor.id)
        return query.order_by(PriorityDeclaration.id.desc())
    if not is_verifier(actor):
        return query.where(sa.false())
    if state:
        query = query.where(PriorityDeclaration.state == state)
    return query.order_by(PriorityDeclaration.id)


if __name__ == "__main__":
    print(DECLARATIONS.graph())
