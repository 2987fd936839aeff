"""The one function rq runs: opens an app context and calls the named task."""

from __future__ import annotations

import importlib
import logging
import os

from flask import Flask, current_app, has_app_context

log = logging.getLogger("jobs")
_app: Flask | None = None
_app_pid: int | None = None


def _application() -> Flask:
    """This process's app; a forked rq work-horse drops the parent's database connections."""
    global _app, _app_pid
    if _app is None:
        from app import create_app

        _app = create_app()
    if _app_pid != os.getpid():
        from app.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    return _app


def resolve(task: str):
    module, _, name = task.rpartition(".")
    return getattr(importlib.import_module(module), name)


def execute(task: str, *args):
    """Call `task(*args)` in the current app context as one unit of work (committed when it
    returns, rolled back when it raises), closing the session afterwards."""
    from app import uow
    from app.extensions import db

    log.info("job started", extra={"task": task})
    try:
        with uow.transaction():
            return resolve(task)(*args)
    finally:
        db.session.remove()


def run_task(task: str, *args):
    """Entry point of every rq job: a fresh app context each (the worker's process runs job after
    job, and one job's `g` must not be the next one's), in the app the worker already has."""
    app = current_app._get_current_object() if has_app_context() else _application()
    with app.app_context():
        return execute(task, *args)
