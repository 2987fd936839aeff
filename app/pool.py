"""The connection pool's check of a connection before it is handed out: only after an idle spell.

`pool_pre_ping` would send a `SELECT 1` before every request's first statement: one round trip
more on every read, for the rare connection that died. Here a connection is pinged only when it
comes out of the pool after lying unused for `IDLE_SECONDS` or more: the ones a database restart,
a fail-over or a firewall's idle timeout may have cut while nobody used them. A dead one found
so is replaced before the request sees it (the pool's `DisconnectionError` protocol).

A connection the server cut while it was in steady use (a restart under traffic) is found by
the statement that meets it: the driver's disconnect error makes SQLAlchemy invalidate the
whole pool (each connection made before the error is replaced at its next checkout), that one
request answers 503 with Retry-After (`app.errors`), and the next is served on a new connection.
So a restart costs each process at most the requests that were running on its connections then,
as it would with a pre-ping (those were cut mid-statement either way), plus one per process.
"""

from __future__ import annotations

import time
import weakref

from sqlalchemy import Engine, event, exc

IDLE_SECONDS = 10.0
_CHECKED_IN_AT = "baladiya_checked_in_at"
_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


def ping_idle_connections(engine: Engine, idle_seconds: float = IDLE_SECONDS) -> None:
    """Ping a connection at checkout when it has been idle `idle_seconds` or more."""
    if engine.dialect.name == "sqlite" or engine in _installed:  # a file: nothing to cut
        return
    _installed.add(engine)

    def note_checkin(dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        # A new connection has no mark (the record's info is emptied when it reconnects).
        checked_in = record.info.get(_CHECKED_IN_AT)
        if checked_in is None or time.monotonic() - checked_in < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error  # the pool connects anew
            raise

    event.listen(engine, "checkin", note_checkin)
    event.listen(engine, "checkout", ping_if_idle)
