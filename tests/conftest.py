"""Test set-up: every test that uses the app runs twice, on SQLite and on a real PostgreSQL.

The schema is built by running the migrations, as in production; rows are cleared after each
test, keeping the seeded reference data.
"""

from __future__ import annotations

import os
import socket

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.seed import seed_reference_data
from tests import servers

REFERENCE_TABLES = {"authorities", "departments", "alembic_version"}
TEST_CONFIG = {
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
    "PASSWORD_HASH_MEMORY_KIB": 1024,  # argon2id still; cheaper so the suite stays fast
    "REDIS_URL": "",
    # Request limits are off for the suite; tests/test_limits.py turns them on where it checks them.
    "RATE_LIMITS_ENABLED": False,
    "TESTING": True,
}


def pytest_collection_modifyitems(config, items):
    """A test marked `postgres_only` that takes the two-database `app` runs on PostgreSQL only:
    its SQLite variant is not collected (rather than skipped in its body)."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_sqlite = params.get("database_url") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def postgres_server():
    server = servers.start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = servers.start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'baladiya.sqlite3'}"
    return request.getfixturevalue("postgres_server").create_database("baladiya_test")


def build_app(database_url: str, **overrides):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **overrides})
    with app.app_context():
        flask_migrate.upgrade(directory=os.path.join(app.root_path, "..", "migrations"))
        seed_reference_data()
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def app(database_url):
    return build_app(database_url)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.extensions["jobs"].drain() if hasattr(app.extensions["jobs"], "drain") else None
    clear_tables(app)


def clear_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(t.name for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # licences <-> applications
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def backend_name(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def no_network(monkeypatch):
    """A connection attempt fails, and fails the test even if the code under test (WeasyPrint)
    swallows the error."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError(f"tried to reach the network: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield
    assert attempts == []
