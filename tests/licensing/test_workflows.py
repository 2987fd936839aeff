"""The application and licence workflows against an answer key written here, cell by cell: every
(state, action) gives its target or a refusal, every role is allowed or refused, as the key says
(not as `licensing.lifecycle` says), and a state column written outside `fire()` raises."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.accounts.services import register_applicant
from app.catalogue.models import Service
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.timeutil import MUSCAT, utcnow
from app.workflow import StateWriteRefused, fire, workflow_of
from licensing.models import Application, Document, Licence
from licensing.services import create_application
from tests.factories import applicant_data, make_staff
from tests.licensing.helpers import put_in_state

STATES = (
    "draft",
    "submitted",
    "payment_pending",
    "in_review",
    "inspection_scheduled",
    "inspected",
    "info_requested",
    "approved",
    "issued",
    "rejected",
    "withdrawn",
    "cancelled",
)
ROLES = ("applicant", "inspector", "finance", "department_head", "admin", "system")
REVIEWERS = {"inspector", "department_head"}
OPEN = {
    "submitted",
    "payment_pending",
    "in_review",
    "inspection_scheduled",
    "inspected",
    "info_requested",
}
# action: (states it leaves, state it reaches, roles that may take it, fields it needs)
APPLICATION_KEY = {
    "submit": ({"draft"}, "submitted", {"applicant"}, ()),
    "request_payment": ({"submitted"}, "payment_pending", {"system"}, ()),
    "confirm_payment": ({"payment_pending"}, "in_review", {"system"}, ()),
    "start_review": ({"submitted"}, "in_review", REVIEWERS, ()),
    "schedule_inspection": (
        {"in_review"},
        "inspection_scheduled",
        REVIEWERS,
        ("inspection_date",),
    ),
    "record_inspection": ({"inspection_scheduled"}, "inspected", {"inspector"}, ("note",)),
    "request_info": ({"in_review", "inspected"}, "info_requested", REVIEWERS, ("note",)),
    "answer": ({"info_requested"}, "in_review", {"applicant"}, ("note",)),
    "approve": ({"in_review", "inspected"}, "approved", REVIEWERS, ()),
    "issue": ({"approved"}, "issued", {"department_head", "admin"}, ()),
    "reject": (OPEN - {"payment_pending"}, "rejected", REVIEWERS, ("reason_ar", "reason_en")),
    "withdraw": (OPEN | {"draft"}, "withdrawn", {"applicant"}, ()),
    "cancel": (OPEN | {"approved"}, "cancelled", {"department_head", "admin"}, ("note",)),
    "expire_unpaid": ({"payment_pending"}, "cancelled", {"system"}, ()),
}
LICENCE_STATES = ("active", "expired", "cancelled")
LICENCE_KEY = {
    "renew": ({"active", "expired"}, "active", {"department_head", "admin"}, ()),
    "cancel": ({"active", "expired"}, "cancelled", {"department_head", "admin"}, ()),
    "expire": ({"active"}, "expired", {"system"}, ()),
}
FIELDS = {
    "note": "Checked",
    "reason_ar": "غير مطابق",
    "reason_en": "Does not conform",
    "inspection_date": dt.date(2030, 1, 6),
}


def _read_back(model) -> tuple[set, str, dict]:
    """The states, initial state and rules of the workflow governing `model`, in the key's shape."""
    workflow = workflow_of(model)
    table = {
        action: (set(rule.sources), rule.target, set(rule.roles), rule.requires)
        for action, rule in workflow.transitions.items()
    }
    return set(workflow.states), workflow.initial, table


def test_the_application_table_is_the_key():
    """Each rule of the table, read back: sources, target, roles and fields as the key has them."""
    assert _read_back(Application) == (set(STATES), "draft", APPLICATION_KEY)


def test_the_licence_table_is_the_key():
    assert _read_back(Licence) == (set(LICENCE_STATES), "active", LICENCE_KEY)


@pytest.fixture
def actors(app):
    """One applicant (the owner) and one staff member of each role, in North Al Batinah."""
    staff = {role: make_staff(app, role)["id"] for role in ROLES[1:-1]}
    with app.app_context():
        owner = register_applicant(applicant_data(), "en")
        db.session.commit()
        return {"applicant": owner.id, **staff}


def _actor(actors, role):
    return "system" if role == "system" else db.session.get(User, actors[role])


def _expected(key, state, action, role):
    """(status or None, target): the key's answer for one cell."""
    sources, target, roles, _ = key[action]
    if role not in roles:
        return Forbidden, state
    if state not in sources:
        return Conflict, state
    return None, target


def _an_application(owner_id: int, state: str) -> Application:
    """A lease application in `state`, its mandatory documents present (rows, no files)."""
    service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
    application = create_application(db.session.get(User, owner_id), service, {})
    for document in service.required_documents:
        db.session.add(
            Document(
                application_id=application.id,
                owner_id=owner_id,
                authority_id=application.authority_id,
                document_code=document.code,
                filename="x.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                storage_key=f"key-{application.id}-{document.code}.pdf",
            )
        )
    db.session.flush()
    put_in_state(application.id, state)
    if state not in ("draft", "submitted", "payment_pending"):
        application.sla_started_at = utcnow()
    db.session.flush()
    return application


def _fire_every_cell(key, rows, actors, fields=None, reached=None) -> tuple[int, int]:
    """Every (state, action, role) fired on the row in that state: the key's target (or what
    `reached(action, target)` says the row ends in), or the key's refusal with the row unchanged.
    Each step runs in a savepoint rolled back after it. Returns (cells, allowed)."""
    cells = allowed = 0
    for state, action, role in itertools.product(rows, key, ROLES):
        refusal, target = _expected(key, state, action, role)
        where = f"{state} {action} {role}"
        savepoint = db.session.begin_nested()
        record = rows[state]
        if refusal is None:
            allowed += 1
            step = fire(record, action, _actor(actors, role), **(fields or {}))
            ends_in = reached(action, target) if reached else target
            assert (step.source, step.target, record.state) == (state, target, ends_in), where
        else:
            with pytest.raises(refusal):
                fire(record, action, _actor(actors, role), **(fields or {}))
            assert record.state == state, where
        savepoint.rollback()
        cells += 1
    return cells, allowed


def test_every_application_cell(app, actors):
    def reached(action, target):  # a lease has a fee: submitting chains the payment request
        return "payment_pending" if action == "submit" else target

    with app.app_context():
        rows = {state: _an_application(actors["applicant"], state) for state in STATES}
        cells, allowed = _fire_every_cell(APPLICATION_KEY, rows, actors, FIELDS, reached)
        db.session.rollback()
    assert cells == len(STATES) * len(APPLICATION_KEY) * len(ROLES)
    assert allowed == sum(len(s) * len(r) for s, _, r, _ in APPLICATION_KEY.values())


def test_every_required_field_is_asked_for(app, actors):
    """Each field the key names, left out, is a 422 naming it (from a state and role allowed)."""
    with app.app_context():
        for action, (sources, _, roles, requires) in APPLICATION_KEY.items():
            state, role = sorted(sources)[0], sorted(roles)[0]
            record = _an_application(actors["applicant"], state)
            for name in requires:
                fields = {k: v for k, v in FIELDS.items() if k != name}
                with pytest.raises(ValidationFailed) as refused:
                    fire(record, action, _actor(actors, role), **fields)
                assert set(refused.value.errors) == {name}, (action, name)
            assert record.state == state
        db.session.rollback()


def _a_licence(application: Application, state: str) -> Licence:
    today = utcnow().astimezone(MUSCAT).date()
    licence = Licence(
        number=f"NBG-L-TEST-{application.id:06d}-{state}",
        authority_id=application.authority_id,
        family=application.family,
        service_id=application.service_id,
        holder_id=application.applicant_id,
        application_id=application.id,
        details={},
        valid_from=today,
        valid_until=today - dt.timedelta(days=1),
        state="active",
        verification_code="code",
        reminders_sent=[],
    )
    db.session.add(licence)
    db.session.flush()
    db.session.execute(sa.update(Licence).where(Licence.id == licence.id).values(state=state))
    return licence


def test_every_licence_cell(app, actors):
    with app.app_context():
        application = _an_application(actors["applicant"], "issued")
        rows = {state: _a_licence(application, state) for state in LICENCE_STATES}
        cells, allowed = _fire_every_cell(LICENCE_KEY, rows, actors)
        db.session.rollback()
    assert cells == len(LICENCE_STATES) * len(LICENCE_KEY) * len(ROLES) and allowed == 9


def test_a_state_written_outside_the_workflow_raises(app, actors):
    with app.app_context():
        application = _an_application(actors["applicant"], "in_review")
        with pytest.raises(StateWriteRefused):
            application.state = "approved"
        licence = _a_licence(application, "active")
        with pytest.raises(StateWriteRefused):
            licence.state = "cancelled"
        with pytest.raises(StateWriteRefused):
            Application(state="in_review")  # a new row starts in the initial state only
        assert Application(state="draft").state == "draft"
        db.session.rollback()
