"""A task for exercising the job runner itself: fails until it has been tried `failures` times."""

import os
import time
import uuid
from pathlib import Path


def flaky(marker: str, failures: int) -> None:
    path = Path(marker)
    tries = int(path.read_text()) + 1 if path.exists() else 1
    # Written whole, then renamed: a test polling the file never reads it half-written.
    written = path.with_suffix(".writing")
    written.write_text(str(tries))
    written.replace(path)
    if tries <= failures:
        raise RuntimeError(f"try {tries} fails on purpose")


def count_users(marker: str) -> None:
    """Write how many users this job's session sees (the suite's isolation test)."""
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.extensions import db

    Path(marker).write_text(str(db.session.scalar(sa.select(sa.func.count()).select_from(User))))


# Drawn when this module is imported: a job that sees another value ran in another process
# image (a fresh worker process), one that sees the same value ran in the same warm process.
BORN = uuid.uuid4().hex


def record_process(marker: str) -> None:
    """Append this job's process id and process image to `marker`, one line a job."""
    with open(marker, "a") as lines:
        lines.write(f"{os.getpid()} {BORN}\n")


def sleep_then_mark(marker: str, seconds: float) -> None:
    """Sleep `seconds`, then write `marker` (a job still under way while the test acts)."""
    Path(marker).with_suffix(".started").write_text(str(os.getpid()))
    time.sleep(seconds)
    Path(marker).write_text("done")
