"""Dependencies stopped and started again while work is under way: servers of the fault tests'
own (a PostgreSQL, a Redis), so that stopping them leaves the rest of the suite alone."""

from __future__ import annotations

import pytest
from redis import Redis

from app import health
from tests import servers
from tests.conftest import build_app, clear_tables


@pytest.fixture(scope="session")
def fault_postgres():
    server = servers.start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fault_pg_app(fault_postgres):
    """The app on the PostgreSQL the tests stop and start."""
    return build_app(fault_postgres.create_database("baladiya_faults"))


@pytest.fixture
def pg_app(fault_pg_app, fault_postgres):
    yield fault_pg_app
    if fault_postgres.process is None:  # a test failed with it stopped
        fault_postgres.start()
    clear_tables(fault_pg_app)


@pytest.fixture
def fault_redis():
    server = servers.start_redis()
    yield server
    server.stop()


@pytest.fixture
def redis_app(database_url, fault_redis):
    """The app with jobs in the Redis the tests stop and start, on SQLite and PostgreSQL."""
    app = build_app(database_url, REDIS_URL=fault_redis.url)
    Redis.from_url(fault_redis.url).flushall()
    yield app
    clear_tables(app)


@pytest.fixture(autouse=True)
def _fresh_readiness():
    health._cache.clear()
    yield
    health._cache.clear()
