"""The refund table against an answer key written here, its guards with literal expectations, the
state column written only by the engine, and the gateway's refund report applied once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import uow
from app.catalogue.seed import seed_catalogue
from app.errors import Conflict, Forbidden, ValidationFailed
from app.events import DomainEvent, publish
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import utcnow
from app.workflow import StateWriteRefused, Step
from receipts.services import issue_receipt
from refunds import guards
from refunds import lifecycle as rl
from refunds.models import Refund, RefundEvent
from refunds.subscribers import record_reported_refund
from tests.sla_rows import a_refund, an_applicant, an_application, services_of

STATES = (
    "submitted",
    "under_review",
    "evidence_requested",
    "approved",
    "processing",
    "refunded",
    "failed",
    "rejected",
    "withdrawn",
)
# The key: action -> (roles, {source: target}, required fields). Every cell not named is refused.
KEY = {
    "start_review": ({"finance"}, {"submitted": "under_review"}, ()),
    "request_evidence": (
        {"finance"},
        {"submitted": "evidence_requested", "under_review": "evidence_requested"},
        ("note",),
    ),
    "evidence_added": ({"applicant"}, {"evidence_requested": "under_review"}, ()),
    "first_approval": (
        {"finance"},
        {"submitted": "under_review", "under_review": "under_review"},
        (),
    ),
    "approve": ({"finance"}, {"submitted": "approved", "under_review": "approved"}, ()),
    "reject": (
        {"finance"},
        {"submitted": "rejected", "under_review": "rejected", "evidence_requested": "rejected"},
        ("reason_ar", "reason_en"),
    ),
    "withdraw": (
        {"applicant"},
        {
            "submitted": "withdrawn",
            "under_review": "withdrawn",
            "evidence_requested": "withdrawn",
        },
        (),
    ),
    "send": ({"system"}, {"approved": "processing"}, ()),
    "gateway_refunded": ({"system"}, {"processing": "refunded"}, ()),
    "gateway_failed": ({"system"}, {"processing": "failed"}, ()),
    "transfer_done": ({"finance"}, {"processing": "refunded"}, ("transfer_reference",)),
    "transfer_failed": ({"finance"}, {"processing": "failed"}, ("note",)),
    "retry": ({"finance"}, {"failed": "processing"}, ()),
    "switch_to_bank_transfer": (
        {"finance"},
        {"failed": "processing"},
        ("iban", "account_holder"),
    ),
}


def test_every_state_and_action_of_the_table_matches_the_key():
    assert set(rl.STATES) == set(STATES) and rl.WORKFLOW.initial == "submitted"
    assert set(rl.TRANSITIONS) == set(KEY)
    for action, (roles, moves, requires) in KEY.items():
        rule = rl.TRANSITIONS[action]
        assert set(rule.roles) == roles, action
        assert set(rule.requires) == set(requires), action
        for state in STATES:
            expected = moves.get(state)
            allowed = state in rule.sources
            assert allowed == (expected is not None), (action, state)
            if allowed:
                assert rule.target == expected, (action, state)


def test_the_table_names_its_guards_and_sla_effects():
    def names(action):
        return [guard.__name__ for guard in rl.TRANSITIONS[action].guards]

    decide = "not_the_requester[requester_cannot_decide]"
    pay_out = "not_the_requester[requester_cannot_pay_out]"
    assert names("approve")[0] == decide and names("approve")[-1] == "four_eyes"
    assert "within_what_was_captured" in names("approve")
    assert names("first_approval")[0] == decide
    assert names("first_approval")[-1] == "needs_a_first_approval"
    assert names("reject") == [decide]
    assert names("transfer_done") == [
        pay_out,
        "paid_back_by[bank_transfer]",
        "destination_by_another_officer",
        "transfer_proof_uploaded",
    ]
    assert names("transfer_failed") == [pay_out, "paid_back_by[bank_transfer]"]
    assert names("retry") == [pay_out]
    assert names("switch_to_bank_transfer") == [pay_out, "paid_back_by[card]"]
    assert names("gateway_refunded") == names("gateway_failed") == ["paid_back_by[card]"]
    assert names("start_review") == names("withdraw") == names("send") == []
    sla = {action: rule.sla for action, rule in rl.TRANSITIONS.items() if rule.sla}
    assert sla == {
        "request_evidence": "pause",
        "evidence_added": "resume",
        "approve": "stop",
        "reject": "stop",
        "withdraw": "stop",
    }


def _step(action, actor_id, **record):
    refund = SimpleNamespace(
        **{
            "requested_by_id": 1,
            "method": "bank_transfer",
            "amount_requested": 5000,
            "amount_approved": None,
            "first_approver_id": None,
            "second_approver_id": None,
            "destination_set_by_id": None,
            "state": "under_review",
            **record,
        }
    )
    rule = rl.TRANSITIONS[action]
    return Step(rl.WORKFLOW, refund, rule, SimpleNamespace(id=actor_id), "finance", {}, "", None)


def _refusal(guard, step):
    try:
        guard(step)
    except (Forbidden, Conflict, ValidationFailed) as problem:
        return problem.code
    return None


@pytest.fixture
def threshold_2000(app):
    saved = app.config["REFUND_SECOND_APPROVAL_BAISA"]
    app.config["REFUND_SECOND_APPROVAL_BAISA"] = 2000
    with app.app_context():
        yield
    app.config["REFUND_SECOND_APPROVAL_BAISA"] = saved


def test_four_eyes_and_separation_of_duties_guards(threshold_2000):
    decide = rl.TRANSITIONS["approve"].guards[0]
    pay_out = rl.TRANSITIONS["retry"].guards[0]
    assert _refusal(decide, _step("approve", 1)) == "requester_cannot_decide"
    assert _refusal(decide, _step("approve", 2)) is None
    assert _refusal(pay_out, _step("retry", 1)) == "requester_cannot_pay_out"
    assert _refusal(pay_out, _step("retry", 2)) is None

    # At or below 2.000 one approval moves the money; above it, a first approval comes first.
    cases = [
        # (amount asked, first approver, actor) -> (first_approval refusal, approve refusal)
        ((2000, None, 7), ("transition_not_allowed", None)),
        ((2010, None, 7), (None, "second_approver_required")),
        ((2010, 7, 7), ("transition_not_allowed", "second_approver_required")),
        ((2010, 7, 8), ("transition_not_allowed", None)),
    ]
    for (amount, first, actor), (first_refusal, approve_refusal) in cases:
        record = {"first_approver_id": first, "amount_approved": amount if first else None}
        first_step = _step("first_approval", actor, **record)
        first_step.fields["amount"] = amount
        approve_step = _step("approve", actor, **record)
        approve_step.fields["amount"] = amount
        assert _refusal(guards.needs_a_first_approval, first_step) == first_refusal, amount
        assert _refusal(guards.four_eyes, approve_step) == approve_refusal, (amount, first)

    # The second approval is for the first one's amount, and never above what was asked.
    second = _step("approve", 8, first_approver_id=7, amount_approved=2500)
    second.fields["amount"] = 2400
    assert _refusal(guards.same_amount_as_first_approval, second) == (
        "amount_differs_from_first_approval"
    )
    second.fields["amount"] = None
    assert _refusal(guards.same_amount_as_first_approval, second) is None
    too_much = _step("approve", 8)
    too_much.fields["amount"] = 5001
    assert _refusal(guards.amount_within_request, too_much) == "validation_failed"

    # Above 2.000 whoever entered the IBAN does not complete the transfer.
    transfer = {"amount_approved": 2010, "destination_set_by_id": 9}
    entered_by = guards.destination_by_another_officer
    refused = "destination_needs_second_officer"
    assert _refusal(entered_by, _step("transfer_done", 9, **transfer)) == refused
    assert _refusal(entered_by, _step("transfer_done", 8, **transfer)) is None
    low = {"amount_approved": 2000, "destination_set_by_id": 9}
    assert _refusal(entered_by, _step("transfer_done", 9, **low)) is None

    card_only = rl.TRANSITIONS["switch_to_bank_transfer"].guards[1]
    assert _refusal(card_only, _step("switch_to_bank_transfer", 2)) == "wrong_refund_method"
    transfer_only = rl.TRANSITIONS["transfer_done"].guards[1]
    assert _refusal(transfer_only, _step("transfer_done", 2)) is None
    assert _refusal(transfer_only, _step("transfer_done", 2, method="card")) == (
        "not_a_bank_transfer"
    )


def _processing_card_refund(gateway_refund_id: str) -> int:
    """A card refund of 1.000 being paid back, its gateway refund `gateway_refund_id`."""
    seed_catalogue()
    applicant = an_applicant()
    [service] = services_of("NBG", 1)
    clock = SlaClock(10).start(utcnow())
    refund = a_refund(an_application(applicant, service, clock), clock)
    issue_receipt(refund.payment)  # every succeeded payment has its receipt
    db.session.execute(  # a row write, not a step: the set-up of a refund in flight
        sa.update(Refund)
        .where(Refund.id == refund.id)
        .values(
            state="processing",
            amount_approved=1000,
            gateway_refund_id=gateway_refund_id,
            gateway_key=refund.reference,
        )
    )
    return refund.id


def test_the_state_column_is_written_only_by_fire(app):
    with app.app_context():
        refund_id = _processing_card_refund("re_directwrite")
        db.session.commit()
        row = db.session.get(Refund, refund_id)
        with pytest.raises(StateWriteRefused):
            row.state = "refunded"
        db.session.rollback()
        assert db.session.get(Refund, refund_id, populate_existing=True).state == "processing"


def test_a_reported_gateway_refund_is_applied_once(app):
    with app.app_context():
        with uow.transaction():
            refund_id = _processing_card_refund("re_reportedonce")
            reference = db.session.get(Refund, refund_id).reference
        report = {
            "gateway": "stripe",
            "refund_ref": "re_reportedonce",
            "status": "succeeded",
            "failure_reason": None,
            "key": reference,
            "refund_reference": reference,
        }
        with uow.transaction():
            publish("gateway.refund_reported", **report)
        assert app.extensions["jobs"].drain(30)
        with uow.transaction():  # the same report again, as a duplicate webhook would bring it
            assert record_reported_refund(**report) == "already refunded"
        with uow.transaction():
            assert record_reported_refund(**{**report, "refund_ref": "re_nobody"}) == (
                "superseded"  # found by our reference: another gateway refund than the row's
            )
        row = db.session.get(Refund, refund_id, populate_existing=True)
        assert (row.state, row.refunded_at is not None) == ("refunded", True)
        steps = db.session.scalars(
            sa.select(RefundEvent.action).where(RefundEvent.refund_id == refund_id)
        ).all()
        assert steps.count("gateway_refunded") == 1
        settled = db.session.scalars(
            sa.select(DomainEvent.payload).where(DomainEvent.name == "refund.settled")
        ).all()
        assert [p for p in settled if p["refund_id"] == refund_id] == [
            {"refund_id": refund_id, "payment_id": row.payment_id}
        ]
        unknown = {**report, "refund_ref": "re_x", "refund_reference": "RF-none"}
        assert record_reported_refund(**unknown) == "unknown refund"
        db.session.rollback()
