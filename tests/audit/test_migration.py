"""An installation with audit rows from before the chain gets a valid chain on upgrade."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import flask_migrate
import sqlalchemy as sa

from app import create_app
from app.audit.verify import verify_chains
from app.extensions import db
from tests.audit.tampering import outside_hash, rows_of_chain
from tests.conftest import TEST_CONFIG

OLD_ROWS = sa.table(
    "audit_log",
    *(sa.column(c) for c in ("at", "authority_id", "action", "subject_type", "subject_id")),
    sa.column("after", sa.JSON()),
)


def test_existing_rows_are_linked_in_the_order_they_were_written(request, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database("baladiya_old_audit")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    migrations = os.path.join(app.root_path, "..", "migrations")
    with app.app_context():
        flask_migrate.upgrade(directory=migrations, revision="0014")
        # The authorities as a revision-0014 installation held them (plain SQL: today's models
        # and seed write columns that later revisions added).
        for code in ("NBG", "ABG"):
            db.session.execute(
                sa.text(
                    "INSERT INTO authorities (code, name_ar, name_en, created_at, updated_at) "
                    "VALUES (:code, :code, :code, :at, :at)"
                ),
                {"code": code, "at": datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
            )
        db.session.commit()
        ids = {
            r.code: r.id for r in db.session.execute(sa.text("SELECT code, id FROM authorities"))
        }
        at = datetime(2026, 1, 5, 8, 30, 15, 123456, tzinfo=UTC)
        old = [("NBG", "a"), (None, "b"), ("NBG", "c"), ("ABG", "d"), ("NBG", "e")]
        for code, subject in old:
            db.session.execute(
                OLD_ROWS.insert().values(
                    at=at.replace(tzinfo=None) if url.startswith("sqlite") else at,
                    authority_id=ids.get(code),
                    action="test.old",
                    subject_type="test",
                    subject_id=subject,
                    after={"ملاحظة": subject},
                )
            )
        db.session.commit()
        flask_migrate.upgrade(directory=migrations)
        report = verify_chains()
        assert report.intact, report.first_break
        assert {c.chain: c.rows for c in report.chains} == {ids["NBG"]: 3, ids["ABG"]: 1, 0: 1}
        with db.engine.connect() as conn:
            nbg = rows_of_chain(conn, ids["NBG"])
        assert [(r["seq"], r["subject_id"]) for r in nbg] == [(1, "a"), (2, "c"), (3, "e")]
        assert all(outside_hash(r) == r["hash"] for r in nbg)
        db.session.remove()
        db.engine.dispose()
