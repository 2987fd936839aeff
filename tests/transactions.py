"""Each test in one transaction of its own, rolled back at its end.

`rolled_back(app)` opens one connection and begins a transaction on it; every session of `app`
(of any app context, on any thread) runs on that connection, each in a SAVEPOINT of its own
(SQLAlchemy's "join a session into an external transaction" recipe with
`join_transaction_mode="create_savepoint"`). The code under test commits and rolls back as it
does in production: a commit releases its savepoint, a rollback returns to it. At the end of the
test the outer transaction is rolled back, so the seeded reference data stays as it was and no
table needs emptying.

What the sessions see is what one connection sees, so this is only for tests whose work need not
be seen by another connection (another engine, a subprocess, a second app on the same database):
those are marked `committed` (see tests/conftest.py).

One connection is used by one thread at a time (a DBAPI connection is not shared between
threads safely, and interleaved savepoints of two threads would release each other):
`ConnectionTurn` gives it to a session for the length of its transaction. The app's in-process
job thread takes its turn after the request that queued the job has committed; while the test
waits for the jobs (`drain`) it lends its turn, so the jobs run in its open transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

from app.extensions import db

TURN_TIMEOUT = 60.0  # seconds a thread waits for the connection before the test fails


class ConnectionTurn:
    """Whose turn it is to use the test's connection: one thread at a time, re-entrant."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._taken = False  # the turn was taken since a lend began

    def take(self) -> None:
        me = threading.get_ident()
        with self._changed:
            free = self._changed.wait_for(lambda: self._owner in (None, me), TURN_TIMEOUT)
            if not free:
                raise RuntimeError(
                    "waited too long for the test's database connection: another thread holds "
                    "a transaction open while waiting for this one; end that transaction, or "
                    "mark the test `committed` so that each thread has its own connection"
                )
            self._owner = me
            self._depth += 1
            self._taken = True

    def give_back(self) -> None:
        with self._changed:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._changed.notify_all()

    @contextmanager
    def lent(self) -> Iterator[None]:
        """While the calling thread waits for others (and so cannot use the connection), they
        may use it; the caller's turn comes back when they are done.

        Refused if the caller holds a transaction open and another thread used the connection
        meanwhile: that work sits inside the caller's savepoint, and the caller's rollback (a
        session closed without commit) would undo it, as no real database would."""
        me = threading.get_ident()
        with self._changed:
            held = self._depth if self._owner == me else 0
            if held:
                self._owner, self._depth, self._taken = None, 0, False
                self._changed.notify_all()
        try:
            yield
        finally:
            if held:
                with self._changed:
                    self._changed.wait_for(lambda: self._owner is None)
                    self._owner, self._depth = me, held
                    used = self._taken
        if held and used:
            raise RuntimeError(
                "jobs ran while this test held a transaction open: end it first "
                "(db.session.commit() or .remove()), or mark the test `committed`"
            )


@dataclass
class Joined:
    connection: sa.Connection
    turn: ConnectionTurn = field(default_factory=ConnectionTurn)

    def lend(self, wait, *args, **kwargs):
        """Call `wait` (one that waits for other threads, as `drain` does), lending them the
        connection meanwhile."""
        with self.turn.lent():
            return wait(*args, **kwargs)


_joined: dict[Flask, Joined] = {}
_TURN = "tests.transactions.turn"


def _joined_here() -> Joined | None:
    if not _joined or not has_app_context():
        return None
    return _joined.get(current_app._get_current_object())


class JoinedSession(FlaskSession):
    """The app's session class in the suite: on an app inside `rolled_back`, every statement
    goes to that test's connection, in the session's turn."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        joined = _joined_here() if bind is None else None
        if joined is None:
            return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if _TURN not in self.info:
            joined.turn.take()
            self.info[_TURN] = joined.turn
        return joined.connection

    def close(self) -> None:
        try:
            super().close()
        finally:
            _give_back(self)


def _give_back(session) -> None:
    turn = session.info.pop(_TURN, None)
    if turn is not None:
        turn.give_back()


@event.listens_for(JoinedSession, "after_transaction_end")
def _transaction_ended(session, transaction) -> None:
    if transaction.parent is None:
        _give_back(session)


def install() -> None:
    """Make `db.session` make `JoinedSession`s (once per test run)."""
    factory = db.session.session_factory
    factory.class_ = JoinedSession
    factory.configure(join_transaction_mode="create_savepoint")


@contextmanager
def rolled_back(app: Flask) -> Iterator[Joined]:
    """Run the block's database work of `app` in one transaction, rolled back at the end."""
    with app.app_context():
        db.session.remove()
        connection = db.engine.connect()
    if connection.dialect.name == "sqlite":
        # pysqlite begins a transaction only before a write and never before a SAVEPOINT: take
        # the driver's hands off (autocommit) and begin the transaction ourselves.
        connection.execution_options(isolation_level="AUTOCOMMIT")
    transaction = connection.begin()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
    joined = _joined[app] = Joined(connection)
    try:
        yield joined
    finally:
        with app.app_context():
            db.session.remove()
        del _joined[app]
        transaction.rollback()
        connection.close()


@contextmanager
def outside_connection(app: Flask) -> Iterator[sa.Connection]:
    """A connection beside the app's sessions (as a database owner would use), committed when the
    block ends: in a rolled-back test, the test's connection in a SAVEPOINT of its own (so the
    test sees the change and its end undoes it); otherwise a new connection of the engine."""
    joined = _joined.get(app)
    if joined is None:
        with app.app_context(), db.engine.begin() as connection:
            yield connection
        return
    joined.turn.take()
    try:
        with joined.connection.begin_nested():
            yield joined.connection
    finally:
        joined.turn.give_back()
