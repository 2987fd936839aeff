"""Test set-up: every test that uses the app runs twice, on SQLite and on a real PostgreSQL.

The schema is built by running the migrations, as in production, and the reference data (the
authorities, their calendars and the catalogue) is seeded once per database and committed.

Each test that uses `app` runs in one transaction, rolled back at its end (tests/transactions.py):
the code under test commits as it likes, into savepoints, and nothing outlives the test. The
app's job thread and the payments' live server work on the test's connection, one thread at a
time (a transaction each); `drain` lends them the connection.

Opting out: a test marked `committed` commits for real and the tables are emptied after it, the
reference data seeded again (`clear_tables`). Mark a test so when its point needs connections of
their own: threads racing for rows or locks (taking turns would make the race a sequence), a
second app or a `db.engine` connection on the same database, a worker or server subprocess, a
job it waits for while holding a transaction open, or many examples churning rows (PostgreSQL
keeps deleted rows until the transaction ends). A test that builds its own app (`build_app`,
the `redis_app`/`pg_app` fixtures) commits for real anyway: its tables are emptied after it.
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
from tests import servers, transactions

# Never emptied: the reference data seeded again after a clean-up builds on these.
KEPT_TABLES = {"authorities", "departments", "alembic_version"}
TEST_CONFIG = {
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
    "PASSWORD_HASH_MEMORY_KIB": 1024,  # argon2id still; cheaper so the suite stays fast
    "REDIS_URL": "",
    # Request limits are off for the suite; tests/test_limits.py turns them on where it checks them.
    "RATE_LIMITS_ENABLED": False,
    "TESTING": True,
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "committed: the test's work is committed for real, for other connections, threads or "
        "processes to see; the tables are emptied after it (see this module's docstring)",
    )
    transactions.install()


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
def _isolated(request, monkeypatch):
    """A test of `app` in a transaction rolled back at its end; a `committed` one followed by
    emptied tables."""
    if "app" not in request.fixturenames:
        own_app = "database_url" in request.fixturenames
        app = request.getfixturevalue("app") if own_app else None
        yield
        if own_app:  # an app of the test's own (`build_app`) committed on the test database
            clear_tables(app)
        return
    app = request.getfixturevalue("app")
    jobs = app.extensions["jobs"]
    if request.node.get_closest_marker("committed"):
        yield
        jobs.drain() if hasattr(jobs, "drain") else None
        clear_tables(app)
        return
    with transactions.rolled_back(app) as joined:
        if hasattr(jobs, "drain"):
            drain = jobs.drain
            # The jobs run on their own thread, on the test's connection: let them have it.
            monkeypatch.setattr(jobs, "drain", lambda *a, **k: joined.lend(drain, *a, **k))
        yield
        jobs.drain() if hasattr(jobs, "drain") else None


def clear_tables(app) -> None:
    """Empty every table but the kept ones, then seed the reference data again (a test may have
    changed a fee). The calendars are kept unless a holiday was changed: rebuilding them is the
    slow part of the seed."""
    with app.app_context():
        kept = KEPT_TABLES | ({"calendar_days"} if not _holidays_changed() else set())
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in kept]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # A rolled-back test's transaction still open on these tables would make the
                # TRUNCATE wait for ever: fail instead, naming the table.
                conn.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
                names = ", ".join(t.name for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # licences <-> applications
                for table in tables:
                    conn.execute(table.delete())
        seed_reference_data()
        db.session.commit()
        db.session.remove()


def _holidays_changed() -> bool:
    from app.calendar.models import HolidayOverride

    return db.session.scalar(sa.select(sa.func.count()).select_from(HolidayOverride)) > 0


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
