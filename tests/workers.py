"""Runs a real rq worker, as production does, until the queues are empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_burst_worker(app, redis_url: str, **settings) -> None:
    """`flask jobs worker --burst` in a process of its own, on the app's database and Redis."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        **{key: str(value) for key, value in settings.items()},
    }
    worker = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-3000:]


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a worker's work horse and scheduler)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def start_worker(app, redis_url: str, *args: str, **settings) -> subprocess.Popen:
    """`flask jobs worker` (or `flask jobs cron` with args=("cron",)) left running, as in
    production, on the app's database and Redis; its log in `process.log_path`."""
    import tempfile

    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        **{key: str(value) for key, value in settings.items()},
    }
    log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", *(args or ("worker",))],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log_path = log.name
    return process
