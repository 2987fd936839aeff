"""A task for exercising the job runner itself: fails until it has been tried `failures` times."""

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
