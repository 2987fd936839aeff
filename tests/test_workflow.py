"""The workflow engine on a small model of its own (a permit: draft → submitted → approved), on
an in-memory SQLite database: the refusals and their order, the effects and theirs, the state
column written by `fire()` only, and what the table answers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app import workflow
from app.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from app.workflow import StateWriteRefused, fire, transition


class Base(DeclarativeBase):
    pass


class Permit(Base):
    __tablename__ = "test_workflow_permits"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft")
    kind: Mapped[str] = mapped_column(sa.String(20), default="permit")
    owner: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    amount: Mapped[int] = mapped_column(default=0)

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "permit"}


class TentPermit(Permit):
    """A kind of permit mapped on the same table: governed by the same workflow."""

    __mapper_args__ = {"polymorphic_identity": "tent"}


journal: list[str] = []


def _role_of(permit: Permit, actor: str) -> str:
    if actor == "stranger":
        raise NotFound()  # one who may not see the permit is told it does not exist
    if actor == workflow.SYSTEM:
        return workflow.SYSTEM
    return "owner" if actor == permit.owner else "officer"


def _within_cap(step) -> None:
    if step.fields.get("amount", 0) > 100:
        raise Problem(code="over_the_cap", status=422)


def _note(label: str):
    def effect(step) -> None:
        journal.append(f"{label}:{step.record.state}")

    return effect


def _not_on_holiday(step) -> None:
    if step.fields.get("holiday"):
        raise Conflict(code="closed_today")


PERMIT = workflow.register(
    workflow.Workflow(
        name="permit",
        model=Permit,
        states=("draft", "submitted", "approved", "withdrawn"),
        initial="draft",
        role_of=_role_of,
        transitions={
            "submit": transition("submit", {"draft"}, "submitted", {"owner"}),
            "approve": transition(
                "approve",
                {"submitted"},
                "approved",
                {"officer"},
                requires=("note",),
                guards=(_within_cap,),
                effects=(_note("rule"),),
            ),
            "withdraw": transition(
                "withdraw", {"draft", "submitted"}, "withdrawn", {"owner", "officer"}
            ),
            "lapse": transition("lapse", {"submitted"}, "withdrawn", {workflow.SYSTEM}),
        },
        before=(_note("before"),),
        after=(_note("after"),),
        guards=(_not_on_holiday,),
    )
)


@pytest.fixture
def session():
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(autouse=True)
def _clear_journal():
    journal.clear()


def _submitted(session, model=Permit) -> Permit:
    permit = model(owner="sara")
    session.add(permit)
    session.commit()
    fire(permit, "submit", "sara")
    session.commit()
    journal.clear()
    return permit


def test_a_step_writes_the_state_and_runs_the_effects_in_order(session):
    permit = _submitted(session)
    step = fire(permit, "approve", "omar", note="checked on site", amount=40)
    assert permit.state == "approved"
    # before the write (state still submitted), then the workflow's, then the rule's own
    assert journal == ["before:submitted", "after:approved", "rule:approved"]
    assert (step.source, step.target, step.action, step.role) == (
        "submitted",
        "approved",
        "approve",
        "officer",
    )
    assert step.fields == {"note": "checked on site", "amount": 40}
    session.commit()
    assert session.scalar(sa.select(Permit.state).where(Permit.id == permit.id)) == "approved"


@pytest.mark.parametrize(
    ("actor", "action", "fields", "refusal", "status"),
    [
        # each refusal is the first that applies: 404, then 403, then 409, then 422, then guards
        ("stranger", "no_such_action", {}, NotFound, 404),
        ("stranger", "approve", {}, NotFound, 404),  # may not see it: 404 before the role
        ("sara", "approve", {}, Forbidden, 403),  # the owner is no officer; no note either
        ("omar", "submit", {}, Forbidden, 403),  # role checked before the state
        ("sara", "submit", {}, Conflict, 409),  # already submitted
        ("omar", "approve", {"note": ""}, ValidationFailed, 422),  # empty counts as missing
        ("omar", "approve", {"note": "ok", "amount": 101}, Problem, 422),  # the rule's guard
        ("omar", "approve", {"note": "", "holiday": True}, ValidationFailed, 422),
        ("omar", "approve", {"note": "ok", "holiday": True, "amount": 101}, Conflict, 409),
    ],
)
def test_refusals_come_in_order_and_change_nothing(session, actor, action, fields, refusal, status):
    permit = _submitted(session)
    with pytest.raises(refusal) as raised:
        fire(permit, action, actor, **fields)
    assert type(raised.value) is refusal and raised.value.status == status
    assert permit.state == "submitted"
    assert journal == []  # no effect ran
    assert not session.dirty


def test_the_state_refusal_names_the_state_and_the_action(session):
    permit = _submitted(session)
    with pytest.raises(Conflict) as raised:
        fire(permit, "submit", "sara")
    assert raised.value.code == "transition_not_allowed"
    assert raised.value.extra == {"state": "submitted", "action": "submit"}


def test_a_missing_field_is_named(session):
    permit = _submitted(session)
    with pytest.raises(ValidationFailed) as raised:
        fire(permit, "approve", "omar")
    assert list(raised.value.errors) == ["note"]


def test_our_own_code_takes_the_steps_given_to_the_system(session):
    permit = _submitted(session)
    with pytest.raises(Forbidden):
        fire(permit, "lapse", "omar")
    fire(permit, "lapse", workflow.SYSTEM)
    assert permit.state == "withdrawn"


def test_a_direct_write_of_a_stored_row_is_refused(session):
    permit = _submitted(session)
    with pytest.raises(StateWriteRefused):
        permit.state = "approved"
    with pytest.raises(StateWriteRefused):
        permit.state = "draft"  # the initial state too, once the row is stored
    session.rollback()
    assert session.get(Permit, permit.id).state == "submitted"


def test_a_new_row_may_start_in_the_initial_state_only(session):
    assert Permit(owner="sara", state="draft").state == "draft"
    pending = Permit(owner="sara")
    session.add(pending)
    pending.state = "draft"  # pending, not yet flushed: still new
    with pytest.raises(StateWriteRefused):
        Permit(owner="sara", state="approved")
    with pytest.raises(StateWriteRefused):
        pending.state = "submitted"


def test_a_mapped_subclass_is_governed_too(session):
    tent = _submitted(session, TentPermit)
    with pytest.raises(StateWriteRefused):
        tent.state = "approved"
    fire(tent, "approve", "omar", note="ok")
    assert tent.state == "approved"


def test_reading_the_row_again_is_no_write(session):
    permit = _submitted(session)
    session.execute(
        sa.update(Permit).where(Permit.id == permit.id).values(state="withdrawn"),
        execution_options={"synchronize_session": False},
    )
    again = session.get(Permit, permit.id, populate_existing=True)
    assert again is permit and permit.state == "withdrawn"
    session.refresh(permit)
    session.expire(permit)
    assert permit.state == "withdrawn"
    session.scalars(sa.select(Permit).execution_options(populate_existing=True)).all()


def test_allows_follows_the_table_roles_aside(session):
    permit = _submitted(session)
    assert PERMIT.allows(permit, "approve") is True
    assert PERMIT.allows(permit, "withdraw") is True
    assert PERMIT.allows(permit, "submit") is False
    assert PERMIT.allows(permit, "no_such_action") is False


def test_actions_from_a_state_in_table_order():
    assert PERMIT.actions_from("draft") == ["submit", "withdraw"]
    assert PERMIT.actions_from("submitted") == ["approve", "withdraw", "lapse"]
    assert PERMIT.actions_from("submitted", "owner") == ["withdraw"]
    assert PERMIT.actions_from("submitted", workflow.SYSTEM) == ["lapse"]
    assert PERMIT.actions_from("approved") == []


def test_the_graph_prints_one_line_per_source_and_action():
    assert PERMIT.graph().splitlines() == [
        f"{'draft':>22} --submit--> submitted   [owner]",
        f"{'submitted':>22} --approve--> approved   [officer]  needs note",
        f"{'draft':>22} --withdraw--> withdrawn   [officer, owner]",
        f"{'submitted':>22} --withdraw--> withdrawn   [officer, owner]",
        f"{'submitted':>22} --lapse--> withdrawn   [system]",
    ]


def test_a_table_naming_an_unknown_state_is_refused_when_built():
    with pytest.raises(ValueError, match="unknown states"):
        workflow.Workflow(
            name="broken",
            model=Permit,
            states=("draft",),
            initial="draft",
            role_of=_role_of,
            transitions={"go": transition("go", {"draft"}, "nowhere", {"owner"})},
        )


def test_the_model_knows_its_workflow():
    assert workflow.workflow_of(Permit) is PERMIT
    assert workflow.workflow_of(TentPermit(owner="x")) is PERMIT
    assert PERMIT in workflow.governed()
    with pytest.raises(LookupError):
        workflow.workflow_of(object)
