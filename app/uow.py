"""The unit of work: whoever starts the work owns its transaction; services never commit.

- A request: every view is wrapped (`init_unit_of_work`). An answer below 400 commits; a refusal
  (a raised problem, or any answer of 400 and above) rolls back, so nothing half-written stays.
  A refusal whose record must stand (a failed sign-in counted towards a lock-out) says so with
  `keep_on_refusal()` before raising.
- A job: `jobs.runner.execute` runs the task in `transaction()`.
- A command: `flask …` commands run in `transaction()`.
- A use case that must call an outside system between two records (pay-connector's
  record → call → record) closes each record with `transaction()` and makes the call with no
  transaction open; the gateway clients check it with `assert_no_transaction()`.

What must happen only if the work is kept — jobs, notices, domain events — is queued on the
session and sent after its commit (`jobs.enqueue`, `app.events.publish`), dropped on rollback.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

from flask import Flask, current_app

from app.extensions import db
from app.reads import READS_ONLY

KEEP = "uow_keep_on_refusal"
# Where a session holds the jobs to send after its commit (`jobs.enqueue` puts them there): a
# session with any must commit, whatever else it holds.
PENDING_JOBS = "pending_jobs"


class TransactionOpen(RuntimeError):
    """An outside call was about to be made inside a database transaction."""


def commit(*, last: bool = False) -> None:
    """Commit the current unit of work: only the owners above call it (and `transaction()`).

    `last`: the request's own last commit. Its answer is built by then and its session is
    discarded when the request ends, so the session's objects are kept as they are instead of
    expired: expired, each would be read again by whoever touches it next (the request log reads
    the caller) for no purpose. Jobs, commands and `transaction()` expire as usual: what they
    read after a commit comes from the database."""
    if last and not db.session.registry.has():
        return  # the request never opened a session (a 304 from a cache, a health check)
    session = db.session()
    session.info.pop(KEEP, None)
    if not last:
        session.commit()
        return
    if _nothing_to_commit(session):
        return  # the session's end closes it: no COMMIT round trip, no ORM commit machinery
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def _nothing_to_commit(session) -> bool:
    """A request's session with nothing a commit would keep: nothing new, changed or deleted,
    nothing queued for after the commit, and either no transaction begun or a request in
    autocommit (`@reads_only`, where writes are refused)."""
    if session.new or session.dirty or session.deleted:
        return False
    if session.info.get(PENDING_JOBS):
        return False
    return bool(session.info.get(READS_ONLY)) or not session.in_transaction()


def rollback() -> None:
    db.session.info.pop(KEEP, None)
    db.session.rollback()


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """One unit of work: committed when the block ends, rolled back when it raises (and kept,
    then re-raised, when the block said `keep_on_refusal()`)."""
    try:
        yield
    except BaseException:
        _end_refused()
        raise
    commit()


def keep_on_refusal() -> None:
    """The refusal about to be raised still commits what this unit of work has written."""
    db.session.info[KEEP] = True


def assert_no_transaction(what: str = "an outside call") -> None:
    """Refuse to go on when a database transaction is open: an outside call made there would
    hold its row locks for as long as the call takes, and its outcome would be lost with the
    transaction's rollback."""
    if db.session().in_transaction():  # the Session itself: scoped_session has no in_transaction
        raise TransactionOpen(f"{what} made inside a database transaction")


def release() -> None:
    """End the current transaction, which must have written nothing (it read, or locked, only):
    the step before an outside call that follows a read."""
    session = db.session
    if session.new or session.dirty or session.deleted or session.info.get("flushed_writes"):
        raise TransactionOpen("release() of a transaction with writes: use transaction()")
    session.rollback()


def _end_refused(*, last: bool = False) -> None:
    if db.session.info.get(KEEP):
        commit(last=last)
    else:
        rollback()


def in_unit_of_work(view: Callable) -> Callable:
    """A view that commits its work when it answers below 400 and rolls it back otherwise."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            answer = view(*args, **kwargs)
        except BaseException:
            _end_refused(last=True)
            raise
        response = current_app.make_response(answer)
        if response.status_code < 400:
            commit(last=True)
        else:
            _end_refused(last=True)
        return response

    wrapped.__wrapped_by_unit_of_work__ = True
    return wrapped


def init_unit_of_work(app: Flask) -> None:
    """Wrap every view of the app (after the blueprints and their other wrappers)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "__wrapped_by_unit_of_work__", False):
            app.view_functions[endpoint] = in_unit_of_work(view)
    _track_flushed_writes()


def _track_flushed_writes() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if event.contains(Session, "after_flush", _note_writes):
        return
    event.listen(Session, "after_flush", _note_writes)
    event.listen(Session, "do_orm_execute", _note_statement_writes)
    event.listen(Session, "after_commit", _forget_writes)
    event.listen(Session, "after_soft_rollback", _forget_writes_on_rollback)


def _note_writes(session, flush_context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["flushed_writes"] = True


def _note_statement_writes(orm_execute_state) -> None:
    # An INSERT, UPDATE or DELETE statement run through the session (a claim, a bulk revoke) is a
    # write no flush sees: without this, release() would quietly roll it back.
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        orm_execute_state.session.info["flushed_writes"] = True


def _forget_writes(session) -> None:
    session.info.pop("flushed_writes", None)


def _forget_writes_on_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("flushed_writes", None)
