"""One engine for every workflow: states and transitions are data, `fire()` is the only writer.

A `Workflow` names the model it governs, its states, its transitions (the roles that may take
each, the fields each needs, its guards and its effects), how a caller's role on a record is
found, and the effects every step has (a timeline entry, the audit row). `fire(record, action,
actor, **fields)` checks the table — 404 unknown action, 403 role, 409 state, 422 missing field,
then the guards — writes the state, runs the effects and returns the `Step`. Nothing else may
change a governed state column: a direct assignment raises `StateWriteRefused` (an attribute
event), except the initial state of a row not yet in the database.

Effects run inside the caller's unit of work; what must leave the process (notices, jobs,
domain events) is written to the outbox, queued after commit, or published, never sent here.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.timeutil import utcnow

SYSTEM = "system"  # our own code (a gateway's answer, a periodic job) as an actor
MISSING_FIELD = N_("Missing data for required field.")
NOT_ALLOWED_NOW = N_("This action is not allowed in the current state.")


class StateWriteRefused(RuntimeError):
    """A workflow's state column was assigned outside `fire()`."""


@dataclass
class Step:
    """One transition being taken: what guards and effects see. `result` carries what an effect
    wants to give back to the caller (a notice chosen, a document issued)."""

    workflow: Workflow
    record: Any
    transition: Transition
    actor: Any
    role: str
    fields: dict[str, Any]
    source: str
    now: dt.datetime
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def target(self) -> str:
        return self.transition.target


Guard = Callable[[Step], None]  # raises a Problem to refuse the step
Effect = Callable[[Step], None]


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    sla: str | None = None  # start, pause, resume or stop: what the step does to an SLA clock
    notice: str | None = None  # the notification event the step sends, where it sends one
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    note: str = ""  # a line for the printed graph: why the rule is as it is


def transition(
    action: str,
    sources: Iterable[str],
    target: str,
    roles: Iterable[str],
    *,
    requires: Iterable[str] = (),
    sla: str | None = None,
    notice: str | None = None,
    guards: Iterable[Guard] = (),
    effects: Iterable[Effect] = (),
    note: str = "",
) -> Transition:
    """A transition, with its collections frozen (the table is data nobody changes at run time)."""
    return Transition(
        action,
        frozenset(str(s) for s in sources),
        str(target),
        frozenset(roles),
        tuple(requires),
        sla,
        notice,
        tuple(guards),
        tuple(effects),
        note,
    )


@dataclass(frozen=True)
class Workflow:
    """A state machine as data. `role_of(record, actor)` gives the role the actor takes on the
    record (raising 404 for one who may not see it; `SYSTEM` for our own code). `before` effects
    run before the state is written (what a step writes besides its state); `after` effects run
    once it is (timeline, audit, notices). `not_allowed` is the 409's detail."""

    name: str
    model: type
    states: tuple[str, ...]
    initial: str
    transitions: Mapping[str, Transition]
    role_of: Callable[[Any, Any], str]
    column: str = "state"
    before: tuple[Effect, ...] = ()
    after: tuple[Effect, ...] = ()
    guards: tuple[Guard, ...] = ()
    not_allowed: str = NOT_ALLOWED_NOW

    def __post_init__(self) -> None:
        known = set(self.states)
        for t in self.transitions.values():
            unknown = (t.sources | {t.target}) - known
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {sorted(unknown)}")
        if self.initial not in known:
            raise ValueError(f"{self.name}: unknown initial state {self.initial!r}")

    def rule(self, action: str) -> Transition:
        rule = self.transitions.get(action)
        if rule is None:
            raise NotFound()
        return rule

    def allows(self, record: Any, action: str) -> bool:
        """Whether the table lets `action` leave the record's current state (roles aside)."""
        rule = self.transitions.get(action)
        return rule is not None and str(getattr(record, self.column)) in rule.sources

    def actions_from(self, state: str, role: str | None = None) -> list[str]:
        """The actions the table offers from `state` (to `role`, when given), in table order."""
        return [
            t.action
            for t in self.transitions.values()
            if state in t.sources and (role is None or role in t.roles)
        ]

    def refusal(self, record: Any, action: str) -> Conflict:
        """The one 409 for an action the record's state does not allow."""
        return Conflict(
            code="transition_not_allowed",
            detail=self.not_allowed,
            extra={"state": str(getattr(record, self.column)), "action": action},
        )

    def graph(self) -> str:
        """The table, one line per (source, action): what `python -m <package>.lifecycle` prints."""
        lines = []
        for t in self.transitions.values():
            for source in sorted(t.sources):
                roles = ", ".join(sorted(t.roles))
                needs = f"  needs {', '.join(t.requires)}" if t.requires else ""
                lines.append(f"{source:>22} --{t.action}--> {t.target}   [{roles}]{needs}")
        return "\n".join(lines)


_WORKFLOWS: dict[type, Workflow] = {}
_writing: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar(
    "workflow_writing", default=None
)


def register(workflow: Workflow) -> Workflow:
    """Govern `workflow.model`'s state column: from now on only `fire()` may write it."""
    if workflow.model in _WORKFLOWS:
        return _WORKFLOWS[workflow.model]
    _WORKFLOWS[workflow.model] = workflow
    attribute = getattr(workflow.model, workflow.column)
    # propagate: a subclass mapped on the model (which workflow_of finds through the MRO) is
    # governed too; without it the subclass's attribute carries no listener.
    event.listen(attribute, "set", _refuse_direct_write(workflow), retval=False, propagate=True)
    return workflow


def workflow_of(record_or_model: Any) -> Workflow:
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    for cls in model.__mro__:
        if cls in _WORKFLOWS:
            return _WORKFLOWS[cls]
    raise LookupError(f"no workflow governs {model.__name__}")


def governed() -> list[Workflow]:
    return list(_WORKFLOWS.values())


def _refuse_direct_write(workflow: Workflow):
    def check(target, value, oldvalue, initiator) -> None:
        if _writing.get() == (id(target), workflow.column):
            return
        fresh = sa.inspect(target).transient or sa.inspect(target).pending
        if fresh and str(value) == workflow.initial:
            return  # a new row starts in the initial state
        raise StateWriteRefused(
            f"{workflow.name}.{workflow.column} is written only by app.workflow.fire() "
            f"(tried {oldvalue!r} -> {value!r})"
        )

    return check


@contextlib.contextmanager
def _writing_state(record: Any, column: str) -> Iterator[None]:
    token = _writing.set((id(record), column))
    try:
        yield
    finally:
        _writing.reset(token)


def fire(record: Any, action: str, actor: Any, /, **fields: Any) -> Step:
    """Take `action` on `record` as `actor`, or refuse it without changing anything.

    Refusals, in this order: 404 an action the workflow does not have; 403 a role the rule does
    not name (404 first, from `role_of`, for one who may not see the record); 409
    `transition_not_allowed` from a state the rule does not leave; 422 a required field missing
    or empty; then whatever the workflow's and the rule's guards raise. On success the `before`
    effects run, the state is written, the `after` effects and the rule's effects run, in the
    caller's transaction (the caller's unit of work commits)."""
    workflow = workflow_of(record)
    rule = workflow.rule(action)
    role = workflow.role_of(record, actor)
    if role not in rule.roles:
        raise Forbidden()
    source = str(getattr(record, workflow.column))
    if source not in rule.sources:
        raise workflow.refusal(record, action)
    missing = {name: [MISSING_FIELD] for name in rule.requires if _empty(fields.get(name))}
    if missing:
        raise ValidationFailed(missing)
    step = Step(workflow, record, rule, actor, role, fields, source, utcnow())
    for guard in (*workflow.guards, *rule.guards):
        guard(step)
    for effect in workflow.before:
        effect(step)
    with _writing_state(record, workflow.column):
        setattr(record, workflow.column, _typed(workflow, record, rule.target))
    for effect in (*workflow.after, *rule.effects):
        effect(step)
    return step


def _typed(workflow: Workflow, record: Any, target: str) -> Any:
    """The target as the column's Python type (an enum member where the states are an enum)."""
    current = getattr(record, workflow.column)
    enum_type = type(current)
    return enum_type(target) if isinstance(current, str) and enum_type is not str else target


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple)) and not value)


def audited(
    subject_type: str,
    *,
    event: Callable[[Step], str] | None = None,
    subject_id: Callable[[Any], object] = lambda record: record.reference,
    before: Callable[[Step], dict[str, Any]] | None = None,
    after: Callable[[Step], dict[str, Any]] | None = None,
) -> Effect:
    """The audit row a workflow's step writes: `<workflow>.<action>` (or `event(step)`) on the
    record (`subject_id`, its reference by default), in its authority, with the state before and
    after and what `before`/`after` add to each."""
    from app.audit import record_change

    def write(step: Step) -> None:
        record = step.record
        record_change(
            event(step) if event else f"{step.workflow.name}.{step.action}",
            subject_type,
            subject_id(record),
            authority_id=record.authority_id,
            before={"state": step.source, **(before(step) if before else {})},
            after={"state": step.target, **(after(step) if after else {})},
        )

    return write
