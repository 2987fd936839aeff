"""Revision 0032 gives an installation seeded before it the positions the seed makes, and its
Al Buraimi services their named positions and channels."""

from __future__ import annotations

import json
import os

import flask_migrate
import sqlalchemy as sa

from app import create_app
from app.accounts.services import create_staff_account
from app.authorities.models import Authority
from app.extensions import db
from app.seed import seed_reference_data
from tests.conftest import TEST_CONFIG
from tests.factories import applicant_data

POSITIONS = sa.text(
    "SELECT p.key, p.code, p.name_en, d.code AS department, p.holder_id, up.key AS up"
    " FROM positions p JOIN authorities a ON a.id = p.authority_id"
    " LEFT JOIN departments d ON d.id = p.department_id"
    " LEFT JOIN positions up ON up.id = p.reports_to_id WHERE a.code = :a ORDER BY p.key"
)
SERVICES = sa.text(
    "SELECT s.code, p.key, s.escalation_channels, s.director_escalation_days FROM services s"
    " LEFT JOIN positions p ON p.id = s.escalation_position_id WHERE s.code IN"
    " ('ABG-MEETING-WALI', 'ABG-WINTER-CAMP', 'ABG-LIWAN-CLOSURE', 'NBG-LEASE-REGISTER')"
    " ORDER BY s.code"
)


def test_an_installation_seeded_before_0032_gets_the_seeds_positions(
    request, database_url, tmp_path
):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database("baladiya_old_positions")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    migrations = os.path.join(app.root_path, "..", "migrations")
    with app.app_context():
        flask_migrate.upgrade(directory=migrations)
        seed_reference_data()
        abg = db.session.scalar(sa.select(Authority.id).where(Authority.code == "ABG"))
        head = create_staff_account(
            abg, applicant_data(role="department_head", department="licensing"), "en"
        ).id
        for _ in range(2):  # two heads of engineering: the position stays unfilled
            create_staff_account(
                abg, applicant_data(role="department_head", department="engineering"), "en"
            )
        db.session.commit()
        flask_migrate.downgrade(directory=migrations, revision="0030")
        assert "positions" not in sa.inspect(db.engine).get_table_names()
        flask_migrate.upgrade(directory=migrations)
        abg_positions = [tuple(r) for r in db.session.execute(POSITIONS, {"a": "ABG"})]
        services = [
            (code, key, json.loads(c) if isinstance(c, str) else c, days)  # SQLite: text
            for code, key, c, days in db.session.execute(SERVICES)
        ]
        mem_positions = db.session.execute(POSITIONS, {"a": "MEM"}).all()
        db.session.remove()
        db.engine.dispose()
    h = "department_head"
    assert abg_positions == [
        (f"{h}:customer_service", h, "Head of the Customer Service Department",
         "customer_service", None, "director"),
        (f"{h}:engineering", h, "Head of the Engineering Affairs Department", "engineering",
         None, "director"),
        (f"{h}:finance", h, "Head of the Finance Department", "finance", None, "director"),
        (f"{h}:health", h, "Head of the Health Control Department", "health", None, "director"),
        (f"{h}:it", h, "Head of the Information Technology Department", "it", None, "director"),
        (f"{h}:licensing", h, "Head of the Licensing Department", "licensing", head,
         "director"),
        ("director", "director", "Director of Al Buraimi Governorate", None, None, None),
        ("governor_office_director", "governor_office_director",
         "Director of the Governor's Office", None, None, "director"),
        ("section_head:customer_service", "section_manager",
         "Head of the section (Customer Service Department)", "customer_service", None,
         f"{h}:customer_service"),
        ("section_head:engineering", "section_manager",
         "Head of the section (Engineering Affairs Department)", "engineering", None,
         f"{h}:engineering"),
        ("section_head:licensing", "section_manager",
         "Head of the section (Licensing Department)", "licensing", None, f"{h}:licensing"),
        ("training_section", "section_manager", "Manager of the Training Section",
         "customer_service", None, f"{h}:customer_service"),
        ("wali_office_director", "wali_office_director", "Director of the Wali's Office", None,
         None, "director"),
        ("winter_camps_section", "section_manager", "Manager of the Winter Camps Section",
         "licensing", None, f"{h}:licensing"),
    ]  # fmt: skip
    all_three = ["in_app", "email", "sms"]
    assert services == [
        ("ABG-LIWAN-CLOSURE", "section_head:engineering", all_three, 5),
        ("ABG-MEETING-WALI", "wali_office_director", ["in_app", "email"], 5),
        ("ABG-WINTER-CAMP", "winter_camps_section", all_three, 5),
        ("NBG-LEASE-REGISTER", None, all_three, 5),
    ]
    assert len(mem_positions) == 7  # the director and six department heads
