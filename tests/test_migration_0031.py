"""Migration 0031 turns the seed's placeholder targets (6 working days where the seed gives no
time) into "no target, escalation only", and leaves every target an admin set alone."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import flask_migrate
import sqlalchemy as sa

from app.calendar.services import calendar_for
from app.catalogue.models import Service
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import MUSCAT
from tests.conftest import build_app
from tests.sla_rows import an_applicant, an_application

# The texts the catalogue seed wrote before 0031 (app/catalogue/seed.py at 65824fc).
OLD_AR = "؛ وإلى أن يُعلن وقت محدد يُطبَّق الوقت المستهدف للخدمات الإجرائية: 6 أيام عمل."
OLD_EN = (
    " Until a fixed time is published, the target for procedural requests applies: 6 working days."
)
GOVERNOR_AR = "يعتمد الوقت على جدول المحافظ"
GOVERNOR_EN = "Time depends on the Governor's schedule; no fixed target is given."


def _service(conn, code):
    return (
        conn.execute(
            sa.text(
                "SELECT sla_unit, sla_days, sla_minutes, sla_note_ar, sla_note_en FROM services"
                " WHERE code = :code"
            ),
            {"code": code},
        )
        .mappings()
        .one()
    )


def test_placeholders_become_no_target_and_admin_targets_stay(request, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'm0031.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database("baladiya_m0031")
    app = build_app(url)
    migrations = os.path.join(app.root_path, "..", "migrations")
    with app.app_context():
        # Requests made under the placeholder: an open one and a decided one.
        governor = db.session.scalar(
            sa.select(Service).where(Service.code == "ABG-MEETING-GOVERNOR")
        )
        calendar = calendar_for(governor.authority_id)
        started = datetime(2026, 12, 1, 9, tzinfo=MUSCAT)
        open_clock = SlaClock(6).start(started)
        decided_clock = SlaClock(6).start(started).stop(started + timedelta(days=2), calendar)
        applicant = an_applicant()
        made = {
            name: an_application(applicant, governor, clock, clock.due_date(calendar, started)).id
            for name, clock in (("open", open_clock), ("decided", decided_clock))
        }
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(directory=migrations, revision="0030")
        with db.engine.begin() as conn:
            placeholder = {"ar": GOVERNOR_AR + OLD_AR, "en": GOVERNOR_EN + OLD_EN}
            # As the old seed left them: 6 days and the placeholder's notes.
            for code in ("ABG-MEETING-GOVERNOR", "ABG-MEETING-WALI"):
                conn.execute(
                    sa.text(
                        "UPDATE services SET sla_days = 6, sla_note_ar = :ar, sla_note_en = :en"
                        " WHERE code = :code"
                    ),
                    {**placeholder, "code": code},
                )
            # An admin's target: the notes cleared (update_service), even at 6 days.
            conn.execute(
                sa.text(
                    "UPDATE services SET sla_days = 6, sla_note_ar = NULL, sla_note_en = NULL"
                    " WHERE code = 'ABG-EQUIP-WADI-PROTECTION'"
                )
            )
            # The notes with another number of days than the target: not the seed's.
            conn.execute(
                sa.text(
                    "UPDATE services SET sla_days = 9, sla_note_ar = :ar, sla_note_en = :en"
                    " WHERE code = 'ABG-EQUIP-PIT-SWAMP-FILLING'"
                ),
                placeholder,
            )
        flask_migrate.upgrade(directory=migrations)
        with db.engine.connect() as conn:
            for code in ("ABG-MEETING-GOVERNOR", "ABG-MEETING-WALI"):
                service = _service(conn, code)
                assert (service["sla_unit"], service["sla_days"], service["sla_minutes"]) == (
                    "none",
                    0,
                    None,
                )
                assert service["sla_note_en"] == (
                    GOVERNOR_EN + " No target time is published: the request is escalated after"
                    " 7 working days without action."
                )
                assert service["sla_note_ar"].startswith(GOVERNOR_AR + "؛ لا يوجد وقت مستهدف")
                assert "7 أيام عمل" in service["sla_note_ar"]
            wadi = _service(conn, "ABG-EQUIP-WADI-PROTECTION")
            assert (wadi["sla_unit"], wadi["sla_days"], wadi["sla_note_en"]) == (
                "working_days",
                6,
                None,
            )
            pit = _service(conn, "ABG-EQUIP-PIT-SWAMP-FILLING")
            assert (pit["sla_unit"], pit["sla_days"]) == ("working_days", 9)
            # Every other service keeps its target in days.
            others = conn.execute(
                sa.text("SELECT count(*) FROM services WHERE sla_unit <> 'working_days'")
            ).scalar()
            # Only the two meetings (the weather-damage request, downgraded without the old
            # placeholder's notes, is not one either).
            assert others == 2
            rows = {
                row.id: row
                for row in conn.execute(
                    sa.text(
                        "SELECT id, sla_unit, sla_target_days, sla_due_date, queue_band"
                        " FROM applications"
                    )
                )
            }
            opened, decided = rows[made["open"]], rows[made["decided"]]
            assert (opened.sla_unit, opened.sla_target_days, opened.sla_due_date) == (
                "none",
                0,
                None,
            )
            assert opened.queue_band == 3  # no due date
            assert (decided.sla_unit, decided.sla_target_days) == ("working_days", 6)
            assert decided.sla_due_date is not None
            if conn.dialect.name == "postgresql":  # SQLite keeps them in the models only
                names = conn.execute(
                    sa.text("SELECT conname FROM pg_constraint WHERE conname LIKE 'ck_services_%'")
                ).scalars()
                assert {
                    "ck_services_sla_unit_known",
                    "ck_services_sla_minutes_of_minute_targets",
                    "ck_services_sla_minutes_positive",
                    "ck_services_sla_days_of_day_targets",
                } <= set(names)
        db.engine.dispose()
