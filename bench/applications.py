"""Applications benchmark: requests per second for submitting an application and for reading one
with its SLA, under gunicorn with PostgreSQL, each beside a bare Flask JSON endpoint served by the
same gunicorn set-up in the same run.

Usage: .venv/bin/python bench/applications.py [--requests 2000] [--clients 8] [--workers 4]
                                              [--only read|submit]
Quick try: --requests 300 --only read (the set-up makes its applications one by one through the
services: a couple of minutes on a quiet machine). The load average is printed before and
after: on a busy machine the figures are indicative only.
Both servers are started by the same command (gunicorn's sync workers, the project's
gunicorn.conf.py, which gunicorn reads from the folder it starts in): each request opens a
connection of its own to either, so the baseline pays for what the app pays for but the app.
Starts its own PostgreSQL and Redis (as the tests do) and two gunicorn servers on free loopback
ports. Jobs are enqueued to Redis as in production; no worker runs them during the measurement.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import http.client
import json
import os
import subprocess
import threading
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, start_postgres, start_redis  # noqa: E402

PASSWORD = "bench password 1"


def prepare(url: str, redis_url: str, drafts: int, running: int) -> tuple[list[int], list[int]]:
    """Migrate, seed, and make lease applications whose documents are all there: `drafts` to
    submit, and `running` submitted and paid, whose SLA clock runs (what a read measures)."""
    import flask_migrate
    import sqlalchemy as sa

    from app import create_app, uow
    from app.accounts.services import register_applicant
    from app.catalogue.models import Service
    from app.extensions import db
    from app.seed import seed_reference_data
    from licensing.services import confirm_payment, create_application, transition
    from tests.factories import add_placeholder_documents

    # The notices of the set-up go to Redis too, where no worker takes them: an in-process job
    # thread would still be sending them while the figures are taken.
    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        db.session.commit()
        user = register_applicant(
            {
                "civil_id": "99887766",
                "name": "Bench Applicant",
                "email": "bench@example.om",
                "phone": "+96899887766",
                "password": PASSWORD,
            },
            "en",
        )
        service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
        ids = []
        for i in range(drafts + running):
            application = create_application(user, service, {"property_reference": f"P-{i}"})
            add_placeholder_documents(application)
            db.session.commit()
            if i >= drafts:  # submitted, fee paid: the SLA clock started at payment
                with uow.transaction():  # the services leave the commit to their caller
                    transition(application, "submit", user)
                    confirm_payment(application.id)
            ids.append(application.id)
        return ids[:drafts], ids[drafts:]


def gunicorn(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300  # each worker imports the app: slow on a loaded machine
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/ping" if "bare" in target else "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn {target} did not start")


def load(
    port: int, requests: list[tuple[str, str, bytes | None]], headers: dict, clients: int
) -> float:
    """Send the requests from `clients` keep-alive connections; requests per second."""
    chunks = [requests[i::clients] for i in range(clients)]
    failures = []

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for method, path, body in chunk:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                failures.append(response.status)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[:5]}")
    return len(requests) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", choices=("read", "submit"), help="measure one figure only")
    args = parser.parse_args()
    reads = args.only in (None, "read")
    submits = args.only in (None, "submit")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    server = start_postgres()
    # Jobs go to Redis, as in production (no worker runs them here): the figures are the web
    # requests', not the e-mail and SMS deliveries that an in-process job thread would add.
    redis = start_redis()
    processes = []
    try:
        url = server.create_database("baladiya_bench_apps")
        drafts, running = prepare(
            url, redis.url, args.requests if submits else 0, args.requests if reads else 0
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
        }
        app_port, bare_port = free_port(), free_port()
        processes.append(gunicorn("wsgi:app", app_port, args.workers, env))
        processes.append(gunicorn("bench.bare_app:app", bare_port, args.workers, env))

        connection = http.client.HTTPConnection("127.0.0.1", app_port)
        connection.request(
            "POST",
            "/api/v1/auth/login",
            body=json.dumps({"email": "bench@example.om", "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        token = json.loads(connection.getresponse().read())["access_token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        bare = load(bare_port, [("GET", "/ping", None)] * args.requests, {}, args.clients)
        figures = {}
        if reads:
            figures["read application with SLA"] = load(
                app_port,
                [("GET", f"/api/v1/applications/{i}", None) for i in running],
                auth,
                args.clients,
            )
        bare_again = load(bare_port, [("GET", "/ping", None)] * args.requests, {}, args.clients)
        if submits:
            figures["submit application"] = load(
                app_port,
                [("POST", f"/api/v1/applications/{i}/actions/submit", b"{}") for i in drafts],
                auth,
                args.clients,
            )
        baseline = (bare + bare_again) / 2
        print(
            f"gunicorn {args.workers} workers, {args.clients} clients, {args.requests} requests each, PostgreSQL"
        )
        print(f"bare Flask JSON endpoint:  {baseline:,.0f} req/s")
        for name, rate in figures.items():
            print(f"{name + ':':26} {rate:,.0f} req/s   ratio to bare {rate / baseline:.2f}")
        print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        server.stop()
        redis.stop()


if __name__ == "__main__":
    main()
