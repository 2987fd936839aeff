"""The pool pings a connection only after an idle spell (app/pool.py): none on a busy pool; a
connection the server cut while it lay idle is replaced before anyone uses it; one cut while
in use fails its statement once and the pool connects anew."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.pool import ping_idle_connections


@pytest.fixture
def pg_url(postgres_server):
    return postgres_server.create_database("baladiya_pool")


def _engine(url, idle_seconds, pings):
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted
    ping_idle_connections(engine, idle_seconds)
    return engine


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT pg_backend_pid()"))


def _cut(url, pid) -> None:
    killer = sa.create_engine(url, poolclass=sa.NullPool)
    with killer.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_a_busy_pool_sends_no_ping(pg_url):
    pings = []
    engine = _engine(pg_url, 10.0, pings)
    pids = {_backend_pid(engine) for _ in range(20)}
    assert len(pids) == 1  # the same connection, reused twenty times
    assert pings == []
    engine.dispose()


def test_a_connection_cut_while_idle_is_replaced_before_use(pg_url):
    pings = []
    engine = _engine(pg_url, 0.0, pings)  # every checkout counts as after an idle spell
    first = _backend_pid(engine)
    _cut(pg_url, first)
    second = _backend_pid(engine)  # no error: the ping found it dead, the pool connected anew
    assert second != first
    assert len(pings) == 1  # the fresh connection was not pinged again
    engine.dispose()


def test_a_connection_cut_while_in_use_fails_once_then_the_pool_connects_anew(pg_url):
    pings = []
    engine = _engine(pg_url, 3600.0, pings)
    first = _backend_pid(engine)
    _cut(pg_url, first)
    with pytest.raises(sa.exc.OperationalError) as failed, engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert failed.value.connection_invalidated
    assert _backend_pid(engine) != first
    assert pings == []
    engine.dispose()
