"""A task for exercising the job runner itself: fails until it has been tried `failures` times."""

from pathlib import Path


def flaky(marker: str, failures: int) -> None:
    path = Path(marker)
    tries = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(tries))
    if tries <= failures:
        raise RuntimeError(f"try {tries} fails on purpose")
