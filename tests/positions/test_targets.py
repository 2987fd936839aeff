"""Whom each level of an escalation reaches: the assignee, the service's position, the director;
an unfilled position (or an inactive holder) passes it one level up and is reported."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.positions.models import PositionGap
from app.positions.targets import Target, escalation_targets, record_passed_over
from tests.factories import make_staff
from tests.positions.helpers import deactivate, hold, position, service
from tests.statements import statements

TRAINING = "ABG-TRAINING-REQUEST"  # family general: the customer service department
MEETING = "ABG-MEETING-GOVERNOR"
LEASE = "NBG-LEASE-REGISTER"  # names no position: the licensing department's head


def staff(app, authority="ABG", department="customer_service", role="inspector") -> int:
    return make_staff(app, role, authority, department)["id"]


def test_a_filled_named_position_is_reached_by_the_services_channels(app, app_ctx):
    manager = staff(app)
    training = hold("ABG", "training_section", manager)
    key = (2, service(TRAINING).id, None)
    assert escalation_targets([key]) == {
        key: Target(2, training.id, "section_manager", (manager,), ("in_app", "email", "sms"), ())
    }


def test_meeting_requests_escalate_by_in_app_and_email_only(app, app_ctx):
    director = staff(app, department="it")
    office = hold("ABG", "governor_office_director", director)
    [target] = escalation_targets([(2, service(MEETING).id, None)]).values()
    assert (target.position_id, target.position_code) == (office.id, "governor_office_director")
    assert target.channels == ("in_app", "email") and target.holder_ids == (director,)


def test_an_unfilled_position_escalates_one_level_up_and_is_listed_as_skipped(app, app_ctx):
    head = staff(app, role="department_head")
    hold("ABG", "department_head:customer_service", head)
    [target] = escalation_targets([(2, service(TRAINING).id, None)]).values()
    assert target.position_id == position("ABG", "department_head:customer_service").id
    assert target.position_code == "department_head" and target.holder_ids == (head,)
    assert target.skipped == (position("ABG", "training_section").id,)


def test_an_inactive_holder_counts_as_unfilled(app, app_ctx):
    manager, head = staff(app), staff(app, role="department_head")
    hold("ABG", "training_section", manager)
    hold("ABG", "department_head:customer_service", head)
    deactivate(manager)
    [target] = escalation_targets([(2, service(TRAINING).id, None)]).values()
    assert target.holder_ids == (head,)
    assert target.skipped == (position("ABG", "training_section").id,)


def test_with_nobody_below_it_the_chain_reaches_the_director(app, app_ctx):
    director = staff(app, department="it", role="admin")
    hold("ABG", "director", director)
    [target] = escalation_targets([(2, service(TRAINING).id, None)]).values()
    assert (target.position_code, target.holder_ids) == ("director", (director,))
    assert target.skipped == (
        position("ABG", "training_section").id,
        position("ABG", "department_head:customer_service").id,
    )


def test_nobody_anywhere_up_the_chain_answers_no_one_and_every_position_skipped(app, app_ctx):
    [target] = escalation_targets([(3, service(TRAINING).id, None)]).values()
    assert target == Target(
        3, None, None, (), ("in_app", "email", "sms"), (position("ABG", "director").id,)
    )


def test_a_service_naming_no_position_goes_to_its_departments_head(app, app_ctx):
    head = staff(app, "NBG", "licensing", "department_head")
    hold("NBG", "department_head:licensing", head)
    hold("NBG", "department_head:health", staff(app, "NBG", "health", "department_head"))
    [target] = escalation_targets([(2, service(LEASE).id, None)]).values()
    assert target.position_id == position("NBG", "department_head:licensing").id
    assert target.holder_ids == (head,) and target.skipped == ()


def test_level_three_is_the_authoritys_director(app, app_ctx):
    director, manager = staff(app, department="it"), staff(app)
    hold("ABG", "director", director)
    hold("ABG", "training_section", manager)
    [target] = escalation_targets([(3, service(TRAINING).id, manager)]).values()
    assert target.position_id == position("ABG", "director").id
    assert target.holder_ids == (director,) and target.skipped == ()


def test_level_one_is_the_active_assignee_or_else_the_level_two_position(app, app_ctx):
    assignee, manager = staff(app), staff(app)
    hold("ABG", "training_section", manager)
    training = service(TRAINING).id
    assigned, unassigned = (1, training, assignee), (1, training, None)
    found = escalation_targets([assigned, unassigned])
    assert found[assigned] == Target(1, None, None, (assignee,), ("in_app", "email", "sms"), ())
    assert found[unassigned] == Target(
        1,
        position("ABG", "training_section").id,
        "section_manager",
        (manager,),
        ("in_app", "email", "sms"),
        (),
    )
    deactivate(assignee)
    assert escalation_targets([assigned])[assigned].holder_ids == (manager,)


def test_channels_set_on_a_service_are_answered_in_a_fixed_order(app, app_ctx):
    lease = service(LEASE)
    lease.escalation_channels = ["sms", "in_app"]
    db.session.commit()
    [target] = escalation_targets([(3, lease.id, None)]).values()
    assert target.channels == ("in_app", "sms")


def test_unknown_services_and_levels_are_left_out(app, app_ctx):
    assert escalation_targets([(2, 999_999, None), (4, service(LEASE).id, None)]) == {}
    assert escalation_targets([]) == {}


def test_many_keys_take_three_statements(app, app_ctx):
    assignees = [staff(app, "NBG", "licensing") for _ in range(3)]
    hold("NBG", "department_head:licensing", assignees[0])
    ids = db.session.scalars(sa.text("SELECT id FROM services ORDER BY id")).all()
    assert len(ids) > 80
    keys = [(level, s, a) for s in ids for level in (1, 2, 3) for a in (None, *assignees)]
    with statements(app) as sent:
        found = escalation_targets(keys)
    assert len(found) == len(set(keys))
    assert len(sent) == 3, sent.text()


def test_passed_over_positions_are_recorded_one_row_each(app, app_ctx):
    training = service(TRAINING).id
    found = escalation_targets([(2, training, None), (3, training, None)])
    with statements(app) as sent:
        assert record_passed_over(found) == 4  # training, its head, the director; the director
    assert len(sent.touching("position_gaps")) == 1, sent.text()
    rows = db.session.execute(
        sa.select(PositionGap.position_id, PositionGap.level).order_by(PositionGap.id)
    ).all()
    director = position("ABG", "director").id
    assert sorted(rows) == sorted(
        [
            (position("ABG", "training_section").id, 2),
            (position("ABG", "department_head:customer_service").id, 2),
            (director, 2),
            (director, 3),
        ]
    )


def test_a_chain_that_comes_back_on_itself_ends_at_the_director(app, app_ctx):
    # The API refuses such a chain; one written by other means must still end.
    training, head = (
        position("ABG", "training_section"),
        position("ABG", "department_head:customer_service"),
    )
    head.reports_to_id = training.id
    db.session.commit()
    director = staff(app, department="it")
    hold("ABG", "director", director)
    [target] = escalation_targets([(2, service(TRAINING).id, None)]).values()
    assert target.holder_ids == (director,) and target.skipped == (training.id, head.id)
