"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import warnings

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db, render_item
from tests.conftest import build_app


def _drift(app):
    with app.app_context(), db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite's reflection leaves out the queue's indexes on `sla_due_date IS NULL` (0020)
        # and autogenerate then cannot compare them, saying so; PostgreSQL compares them.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True, "render_item": render_item}
        )
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    assert _drift(app) == []


def test_migrations_apply_to_an_empty_database_and_roll_back(request, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database("baladiya_empty")
    app = build_app(url)
    migrations = os.path.join(app.root_path, "..", "migrations")
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {
            "users",
            "authorities",
            "auth_sessions",
            "maintenance_windows",
            "audit_log",
        } <= tables
        flask_migrate.downgrade(directory=migrations, revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(directory=migrations)
        db.engine.dispose()
    assert _drift(app) == []
