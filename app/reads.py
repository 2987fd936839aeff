"""Views that only read run their request in autocommit: no BEGIN before the first statement
and no COMMIT after the answer, two round trips of the four a hot read would otherwise send.

Each statement then reads its own snapshot, not one the request's statements share. A view is
marked `@reads_only` only when that cannot matter: its answer comes from one statement, or
from statements none of which depends on another's snapshot. A write attempted through the
session in such a request is refused (a bug: the write would have been committed on its own,
not with the rest of the request's work or not at all).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.view_marks import view_handler

READS_ONLY = "reads_only"


class WriteInReadOnlyRequest(RuntimeError):
    """A view marked `@reads_only` tried to write."""


def reads_only(view: Callable) -> Callable:
    """Mark a view that reads only: its request runs in autocommit."""
    view._reads_only = True
    return view


def autocommit_connection() -> sa.Connection:
    """The session's connection, in autocommit when nothing has begun a transaction on it yet:
    each statement then commits on its own, with no BEGIN and COMMIT around it. A session
    already in a transaction, or joining one of its caller's (the tests'), keeps it."""
    session = db.session()
    if session.in_transaction() or isinstance(session.get_bind(), sa.Connection):
        return session.connection()
    return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _begin_reading() -> None:
    if request.endpoint is None or request.method not in ("GET", "HEAD"):
        return
    handler = view_handler(current_app.view_functions[request.endpoint], request.method)
    if not getattr(handler, "_reads_only", False):
        return
    options = autocommit_connection().get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        db.session.info[READS_ONLY] = True


def _refuse_writes(session, *args) -> None:
    if session.info.get(READS_ONLY) and (session.new or session.dirty or session.deleted):
        raise WriteInReadOnlyRequest("a write in a request marked @reads_only")


def _refuse_statement_writes(orm_execute_state) -> None:
    state = orm_execute_state
    if state.session.info.get(READS_ONLY) and (
        state.is_insert or state.is_update or state.is_delete
    ):
        raise WriteInReadOnlyRequest("a write in a request marked @reads_only")


def _forget(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(READS_ONLY, None)


def init_reads(app: Flask) -> None:
    """Install before the access hook, whose session look-up is the request's first statement.
    The pool gives the connection back with its isolation level reset (SQLAlchemy does)."""
    app.before_request(_begin_reading)
    if not event.contains(Session, "before_flush", _refuse_writes):
        event.listen(Session, "before_flush", _refuse_writes)
        event.listen(Session, "do_orm_execute", _refuse_statement_writes)
        event.listen(Session, "after_transaction_end", _forget)
