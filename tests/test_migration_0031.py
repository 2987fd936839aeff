"""Migration 0031 turns the seed's placeholder targets (6 working days where the seed gives no
time) into "no target, escalation only", and leaves every target an admin set alone."""

from __future__ import annotations

import os

import flask_migrate
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import build_app

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
        db.engine.dispose()
