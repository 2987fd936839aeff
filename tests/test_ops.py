"""Operations: health, readiness, docs with no internet, security headers, logs without secrets."""

from __future__ import annotations

import re

from app import create_app
from tests.conftest import TEST_CONFIG, build_app
from tests.factories import PASSWORD, applicant_data, bearer, login, register
from tests.servers import free_port


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"] == "ok"


def test_degraded_not_unready_when_redis_is_unreachable(database_url):
    """Jobs wait in their tables for the relays; the web tier keeps serving."""
    app = build_app(database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200 and response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["redis"] == "unreachable"


def test_not_ready_when_the_database_is_unreachable(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        unreachable = f"sqlite:///{tmp_path / 'no-such-directory' / 'baladiya.sqlite3'}"
    else:
        unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/baladiya"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": unreachable})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["status"] == "not_ready"
    assert response.get_json()["checks"]["database"] == "unreachable"
    assert app.test_client().get("/healthz").status_code == 200  # alive, only not ready


def test_docs_page_uses_only_local_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not re.search(r"(src|href)=\"https?://", html)
    for asset in re.findall(r"(?:src|href)=\"([^\"]+)\"", html):
        assert client.get(asset).status_code == 200, asset
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")


def test_security_headers_and_request_id(client):
    response = client.get("/api/v1/authorities", headers={"X-Request-ID": "abc-123"})
    for header in (
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Content-Security-Policy",
        "Referrer-Policy",
    ):
        assert header in response.headers
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/v1/authorities", headers={"Origin": "https://x.om"}).headers
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers[
        "X-Request-ID"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_cors_only_for_configured_origins(database_url):
    app = build_app(database_url, CORS_ORIGINS="https://portal.baladiya.om")
    client = app.test_client()
    allowed = client.get("/api/v1/authorities", headers={"Origin": "https://portal.baladiya.om"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://portal.baladiya.om"
    other = client.get("/api/v1/authorities", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_logs_are_json_with_request_id_and_never_hold_secrets(app, client, capsys):
    user = register(client, civil_id="87654321")
    tokens = login(client, user["email"])
    client.get("/api/v1/me", headers={**bearer(tokens), "X-Request-ID": "req-42"})
    client.post("/api/v1/auth/register", json=applicant_data(civil_id="87654321"))
    with app.test_request_context():
        app.logger.info(
            "careless %s %s %s",
            tokens["access_token"],
            "87654321",
            "4242 4242 4242 4242",
            extra={
                "password": PASSWORD,
                "civil_id": "87654321",
                "refresh_token": tokens["refresh_token"],
            },
        )
    logs = capsys.readouterr().err
    assert '"request_id": "req-42"' in logs
    for secret in (
        PASSWORD,
        "87654321",
        tokens["access_token"],
        tokens["refresh_token"],
        "4242 4242 4242 4242",
    ):
        assert secret not in logs
    assert "[jwt]" in logs and "[masked]" in logs


def test_readme_documents_every_setting():
    from pathlib import Path

    from app.config import SETTINGS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert [s.name for s in SETTINGS if f"| `{s.name}` |" not in readme] == []


def test_make_run_sequence_migrates_seeds_and_serves(tmp_path):
    """What `make run` does: `flask db upgrade`, `flask seed --demo` (again on a second run; it
    is told the database is not production, which `make run`'s embedded one need not be), then
    the development server with in-process jobs."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "REDIS_URL": "",
    }
    root = Path(__file__).resolve().parents[1]
    seed = ["seed", "--demo", "--i-know-this-is-not-production"]
    for command in (["db", "upgrade"], seed, seed):  # a second `make run` seeds again
        done = subprocess.run(
            [sys.executable, "-m", "flask", *command],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=1
                ) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs", timeout=5) as docs:
            assert b"swagger-ui" in docs.read()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/v1/services?authority=NBG&page_size=100", timeout=5
        ) as services:
            # the seed's 71 services and the suggestion, inquiry and ticket ones (cases/seed.py)
            assert '"total": 74' in services.headers["X-Pagination"]
    finally:
        server.terminate()
        server.wait(timeout=10)
