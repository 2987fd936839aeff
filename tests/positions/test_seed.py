"""The seed's positions: a director per authority, a head per department, Al Buraimi's named
positions, unfilled; its services name them; a re-seed changes nothing an admin set."""

from __future__ import annotations

import sqlalchemy as sa

from app.authorities.models import Authority, Department
from app.extensions import db
from app.positions.models import Position
from app.positions.seed import seed_positions
from app.seed import seed_reference_data
from tests.factories import make_staff
from tests.positions.helpers import position, service


def keys(authority: str) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(Position.key).join(Authority).where(Authority.code == authority)
        )
    )


def test_al_buraimis_named_positions_are_seeded_unfilled_under_their_heads(app_ctx):
    departments = ("licensing", "health", "engineering", "finance", "customer_service", "it")
    heads = {f"department_head:{d}" for d in departments}
    assert keys("ABG") == heads | {
        "director",
        "governor_office_director",
        "wali_office_director",
        "training_section",
        "winter_camps_section",
        "section_head:customer_service",
        "section_head:licensing",
        "section_head:engineering",
    }
    assert keys("NBG") == keys("MEM") == heads | {"director"}
    training = position("ABG", "training_section")
    assert (training.name_ar, training.name_en) == (
        "مدير قسم التدريب",
        "Manager of the Training Section",
    )
    assert training.code == "section_manager" and training.holder_id is None
    assert training.department.code == "customer_service"
    assert training.reports_to.key == "department_head:customer_service"
    assert training.reports_to.reports_to.key == "director"
    office = position("ABG", "wali_office_director")
    assert office.department_id is None and office.reports_to.key == "director"
    assert position("ABG", "director").reports_to_id is None


def test_seeded_services_name_their_position_and_channels(app_ctx):
    meeting = service("ABG-MEETING-GOVERNOR")
    assert meeting.escalation_position_id == position("ABG", "governor_office_director").id
    assert meeting.escalation_channels == ["in_app", "email"]
    camp = service("ABG-WINTER-CAMP")
    assert camp.escalation_position_id == position("ABG", "winter_camps_section").id
    assert camp.escalation_channels == ["in_app", "email", "sms"]
    assert service("ABG-HAWKER-LOCATION").escalation_position_id == (
        position("ABG", "section_head:licensing").id
    )
    lease = service("NBG-LEASE-REGISTER")
    assert lease.escalation_position_id is None
    assert lease.escalation_channels == ["in_app", "email", "sms"]
    assert lease.director_escalation_days == 5


def test_seeding_again_creates_nothing_and_keeps_what_an_admin_set(app, app_ctx):
    holder = make_staff(app, "inspector", "ABG", "customer_service")["id"]
    training = position("ABG", "training_section")
    training.name_en, training.holder_id = "Training Section Manager", holder
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Position))
    seed_reference_data()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Position)) == before
    db.session.expire_all()
    training = position("ABG", "training_section")
    assert (training.name_en, training.holder_id) == ("Training Section Manager", holder)


def test_a_new_department_heads_position_is_held_by_its_one_head(app, app_ctx):
    only = make_staff(app, "department_head", "NBG", "health")["id"]
    make_staff(app, "department_head", "NBG", "finance")
    make_staff(app, "department_head", "NBG", "finance")
    nbg = db.session.scalar(sa.select(Authority.id).where(Authority.code == "NBG"))
    for code in ("health", "finance"):
        db.session.delete(position("NBG", f"department_head:{code}"))
    db.session.commit()
    seed_positions()
    db.session.commit()
    assert position("NBG", "department_head:health").holder_id == only
    assert position("NBG", "department_head:finance").holder_id is None  # two: an admin chooses
    health = db.session.scalar(
        sa.select(Department).where(Department.authority_id == nbg, Department.code == "health")
    )
    assert position("NBG", "department_head:health").department_id == health.id
