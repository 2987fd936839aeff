"""The audit log keeps who did what and when; the database refuses to change what it keeps."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from tests.factories import applicant_data, staff_headers


def test_changes_are_recorded_with_actor_and_cannot_be_rewritten(app, client, backend_name):
    admin, headers = staff_headers(app, client, "admin", "NBG")
    data = applicant_data(role="inspector", department="licensing")
    data.pop("preferred_language")
    created = client.post("/api/v1/staff", json=data, headers=headers).get_json()
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "staff.created")
            .order_by(AuditEntry.id.desc())
        )
        assert (entry.actor_id, entry.actor_role, entry.subject_id) == (
            admin["id"],
            "admin",
            str(created["id"]),
        )
        assert entry.after["civil_id"].endswith(data["civil_id"][-3:]) and data[
            "civil_id"
        ] not in str(entry.after)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.update(AuditEntry).values(action="forged"))
            db.session.flush()
        db.session.rollback()
        if backend_name == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.delete(AuditEntry))
                db.session.flush()
            db.session.rollback()
