"""Counting the SQL statements a piece of code sends, for the hot-path tests of issue 13.

    with statements(app) as sent:
        client.get("/api/v1/applications/1", headers=...)
    assert len(sent) == 3, sent.text()

Every statement the app's engine sends through a cursor is recorded, on any thread, except the
SAVEPOINT bookkeeping of the tests' rolled-back transactions (tests/transactions.py), which
production does not send. A lazy load that comes back is one more SELECT, and the test fails
showing the statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from app.extensions import db

_BOOKKEEPING = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


class Sent(list):
    """The statements sent, in order (their SQL text)."""

    def text(self) -> str:
        return "\n".join(f"{n}. {sql}" for n, sql in enumerate(self, 1))

    def selects(self) -> list[str]:
        return [sql for sql in self if sql.lstrip().upper().startswith("SELECT")]

    def touching(self, table: str) -> list[str]:
        pattern = re.compile(rf"\b{re.escape(table)}\b", re.I)
        return [sql for sql in self if pattern.search(sql)]


@contextmanager
def statements(app: Flask) -> Iterator[Sent]:
    sent = Sent()
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if not _BOOKKEEPING.match(statement):
            sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
