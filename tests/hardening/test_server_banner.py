"""No `Server` banner: a real gunicorn, started as the README says, answers without one."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.servers import _wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)  # a loaded CI host
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def test_gunicorn_sends_no_server_banner(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'banner.sqlite3'}",
        "REDIS_URL": "",
        "DOCUMENT_STORAGE_PATH": str(tmp_path / "documents"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, "gunicorn", timeout=60)
        healthy = _get(port, "/healthz")
        missing = _get(port, "/api/v1/no-such-thing")
        for response in (healthy, missing):
            names = [name.lower() for name, _ in response.getheaders()]
            assert "server" not in names, response.getheaders()
            assert "date" in names  # the rest of gunicorn's own headers are still there
        assert healthy.status == 200 and missing.status == 404
    finally:
        process.terminate()
        process.wait(timeout=30)
