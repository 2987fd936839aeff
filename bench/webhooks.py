"""Webhook benchmark (issue 13): signed gateway events accepted per second, beside a bare Flask
endpoint taking the same POST bodies under the same gunicorn in the same run; then how long one
`flask jobs worker` (real rq on a real Redis) takes to drain the receipts and notices of paid
payments, and whether any effect happened twice.

1. Ingestion: `--events` distinct signed events (Stripe `payment_intent.succeeded`, and one in
   four a Thawani `checkout.completed`), each delivered twice (a gateway's retry), from
   `--clients` senders to gunicorn (`--workers` workers) on PostgreSQL; no worker runs.
   Printed: events/s accepted against the bare endpoint, the rows and jobs recorded (one each per
   distinct event).
2. Drain: `--payments` applications paid at localstripe (the card on its charge), their
   `payment_intent.succeeded` events signed and each delivered twice, with one worker running.
   Printed: the time from the first event sent to the last notice sent (mail to an aiosmtpd
   server, SMS to the console backend), the jobs the worker ran, the rq backlog's peak, and the
   effects counted: payments succeeded, receipts, notices, e-mails received, each exactly once.

Usage: .venv/bin/python bench/webhooks.py [--events 3000] [--payments 300] [--clients 8]
       [--workers 4] [--quick]   (--quick: 400 events, 30 payments; under two minutes)
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import subprocess
import tempfile
import threading
import time
from datetime import datetime

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, start_postgres, start_redis  # noqa: E402

STRIPE_SECRET = "whsec_bench_webhooks"
THAWANI_SECRET = "thawani_whsec_bench"
Delivery = tuple[str, bytes, dict[str, str]]  # path, body, headers


def stripe_delivery(intent_id: str, amount: int, charge_id: str | None = None) -> Delivery:
    """A `payment_intent.succeeded` as Stripe signs it; the charge named, not expanded (as Stripe
    sends it): the job asks the gateway for the card."""
    body = json.dumps(
        {
            "id": f"evt_{hashlib.sha256(intent_id.encode()).hexdigest()[:24]}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2024-06-20",
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "amount": amount,
                    "currency": "omr",
                    "status": "succeeded",
                    "latest_charge": charge_id or f"ch_{intent_id[3:]}",
                    "metadata": {"payment": intent_id},
                }
            },
        }
    ).encode()
    return "/api/v1/payments/stripe/webhook", body, {"Content-Type": "application/json"}


def thawani_delivery(session_id: str, amount: int) -> Delivery:
    body = json.dumps(
        {
            "event_type": "checkout.completed",
            "data": {
                "session_id": session_id,
                "client_reference_id": f"pay-{session_id}",
                "total_amount": amount,
                "payment_status": "paid",
                "metadata": {"payment": f"pay-{session_id}"},
            },
        }
    ).encode()
    return "/api/v1/payments/thawani/webhook", body, {"Content-Type": "application/json"}


def sign(path: str, body: bytes) -> dict[str, str]:
    """The signature headers, made at sending time (both gateways allow five minutes)."""
    now = str(int(time.time()))
    if "/stripe/" in path:
        mac = hmac.new(STRIPE_SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256)
        return {"Stripe-Signature": f"t={now},v1={mac.hexdigest()}"}
    mac = hmac.new(THAWANI_SECRET.encode(), body + b"-" + now.encode(), hashlib.sha256)
    return {"thawani-signature": mac.hexdigest(), "thawani-timestamp": now}


def twice(deliveries: list[Delivery], seed: int) -> list[Delivery]:
    """Every delivery sent twice, in a shuffled order (a retry may come before or long after)."""
    doubled = deliveries * 2
    random.Random(seed).shuffle(doubled)
    return doubled


def send(port: int, deliveries: list[Delivery], clients: int) -> tuple[float, float]:
    """POST the deliveries from `clients` keep-alive connections; (events per second, the wall
    clock time of the first send)."""
    chunks = [deliveries[i::clients] for i in range(clients)]
    failures: list[tuple[int, bytes]] = []

    def sender(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path, body, headers in chunk:
            connection.request("POST", path, body=body, headers={**headers, **sign(path, body)})
            response = connection.getresponse()
            answer = response.read()
            if response.status >= 400:
                failures.append((response.status, answer[:200]))
        connection.close()

    threads = [threading.Thread(target=sender, args=(c,)) for c in chunks]
    first_sent = time.time()
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} deliveries refused, e.g. {failures[:3]}")
    return len(deliveries) / elapsed, first_sent


def gunicorn(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
        + ["--log-level", "warning", target],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _answers(port, "/ping" if "bare" in target else "/healthz"), 240, target)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _answers(port: int, path: str) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False


def wait_until(check, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(step)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")


def prepare_schema(url: str, config: dict) -> None:
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from app.seed import seed_reference_data

    app = create_app({**config, "DATABASE_URL": url})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        db.session.commit()


def prepare_payments(url: str, config: dict, count: int, localstripe) -> list[Delivery]:
    """`count` lease applications waiting for their fee, each paid at localstripe (nothing told
    to us yet); the events that tell us, one per payment."""
    import sqlalchemy as sa

    from app import create_app, uow
    from app.accounts.services import register_applicant
    from app.catalogue.models import Service
    from app.extensions import db
    from licensing.services import create_application, transition
    from payments.services import start_payment
    from tests.factories import add_placeholder_documents

    app = create_app({**config, "DATABASE_URL": url})
    deliveries = []
    with app.app_context():
        user = register_applicant(
            {
                "civil_id": "99887766",
                "name": "Bench Payer",
                "email": "payer@example.om",
                "phone": "+96899887766",
                "password": "bench password 1",
            },
            "en",
        )
        db.session.commit()
        service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
        for i in range(count):
            with uow.transaction():
                application = create_application(user, service, {"property_reference": f"P-{i}"})
                add_placeholder_documents(application)
                db.session.flush()
                transition(application, "submit", user)
            payment, _ = start_payment(user, application.id, "stripe")
            intent = localstripe.pay(payment.gateway_intent_id)
            charge = intent.latest_charge
            charge_id = charge if isinstance(charge, str) or charge is None else charge.id
            deliveries.append(stripe_delivery(intent.id, payment.amount_baisa, charge_id))
    return deliveries


_apps: dict[str, object] = {}


def count_effects(url: str, config: dict, since: datetime) -> dict[str, object]:
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.notifications.models import DeliveryState, Notification
    from licensing.models import Application
    from payments.models import Payment, PaymentEvent
    from receipts.models import Receipt

    app = _apps.get(url) or _apps.setdefault(url, create_app({**config, "DATABASE_URL": url}))
    with app.app_context():

        def count(select):
            return db.session.scalar(select)

        notices = db.session.execute(
            sa.select(Notification.event, Notification.channel, sa.func.count())
            .where(Notification.created_at >= since)
            .group_by(Notification.event, Notification.channel)
        ).all()
        unsent = count(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(
                Notification.created_at >= since,
                Notification.channel != "in_app",
                Notification.state != DeliveryState.SENT,
            )
        )
        last_sent = count(
            sa.select(sa.func.max(Notification.sent_at)).where(Notification.created_at >= since)
        )
        found = {
            "payments succeeded": count(
                sa.select(sa.func.count()).select_from(Payment).where(Payment.state == "succeeded")
            ),
            "payment events recorded": count(sa.select(sa.func.count()).select_from(PaymentEvent)),
            "receipts": count(sa.select(sa.func.count()).select_from(Receipt)),
            "receipts rendered": count(
                sa.select(sa.func.count())
                .select_from(Receipt)
                .where(Receipt.document_key.is_not(None))
            ),
            "applications in review": count(
                sa.select(sa.func.count())
                .select_from(Application)
                .where(Application.state == "in_review")
            ),
        }
        found.update({f"notices {event} {channel}": n for event, channel, n in sorted(notices)})
        db.session.remove()
    return {"effects": found, "unsent": unsent, "last_sent": last_sent}


def backlog(redis_url: str) -> int:
    """Jobs waiting in the rq queues, scheduled for a retry, or running."""
    from redis import Redis
    from rq import Queue

    from jobs import QUEUES

    connection = Redis.from_url(redis_url)
    total = 0
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        total += queue.count + queue.scheduled_job_registry.count + queue.started_job_registry.count
    return total


def jobs_run(redis_url: str) -> int:
    from redis import Redis
    from rq import Worker

    return sum(
        w.successful_job_count + w.failed_job_count
        for w in Worker.all(connection=Redis.from_url(redis_url))
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def ingestion(args, url, redis, env, config) -> None:
    import psycopg
    from redis import Redis

    from jobs import QUEUES

    stripe_count = args.events - args.events // 4
    deliveries = [stripe_delivery(f"pi_ingest{i:07d}", 3000) for i in range(stripe_count)]
    deliveries += [thawani_delivery(f"checkout_{i:07d}", 3000) for i in range(args.events // 4)]
    sent = twice(deliveries, seed=1)
    app_port, bare_port = free_port(), free_port()
    processes = [
        gunicorn("wsgi:app", app_port, args.workers, env),
        gunicorn("bench.bare_webhook:app", bare_port, args.workers, env),
    ]
    try:
        send(app_port, sent[:200], args.clients)  # warm the workers (these are duplicates after)
        bare, _ = send(bare_port, sent, args.clients)
        accepted, _ = send(app_port, sent, args.clients)
        bare_again, _ = send(bare_port, sent, args.clients)
    finally:
        for process in processes:
            stop(process)
    connection = Redis.from_url(redis.url)
    queued = sum(connection.llen(f"rq:queue:{name}") for name in QUEUES)
    with psycopg.connect(url.replace("+psycopg", "")) as db:
        rows = db.execute("SELECT count(*) FROM payment_events").fetchone()[0]
        db.execute("DELETE FROM payment_events")
    connection.flushdb()
    baseline = (bare + bare_again) / 2
    print(
        f"ingestion: {args.events} distinct events ({stripe_count} Stripe, {args.events // 4}"
        f" Thawani), each delivered twice: {len(sent)} deliveries, {args.clients} senders,"
        f" gunicorn {args.workers} workers, PostgreSQL"
    )
    print(f"  bare Flask, same bodies:  {baseline:8,.0f} deliveries/s")
    print(
        f"  webhook, signed:          {accepted:8,.0f} deliveries/s accepted"
        f"   ratio to bare {accepted / baseline:.2f}   (goal >= 500/s)"
    )
    print(
        f"  recorded: {rows} events, {queued} jobs enqueued"
        f" (expected {args.events} each: duplicates record and enqueue nothing)"
    )


def drain(args, url, redis, env, config, localstripe) -> None:
    from app.timeutil import utcnow

    began = time.perf_counter()
    deliveries = prepare_payments(url, config, args.payments, localstripe)
    from redis import Redis

    Redis.from_url(redis.url).flushdb()  # the set-up's own notices (fee due) are not measured
    print(
        f"drain: {args.payments} payments made at localstripe in {time.perf_counter() - began:.0f} s;"
        f" their events each delivered twice, one `flask jobs worker`"
    )
    log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker"],
        cwd=ROOT,
        env={**env, "FLASK_APP": "wsgi"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    app_port = free_port()
    server = gunicorn("wsgi:app", app_port, args.workers, env)
    try:
        wait_until(lambda: jobs_run(redis.url) == 0 and _worker_up(redis.url), 60, "rq worker")
        since = utcnow()
        peak = [0]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], backlog(redis.url))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rate, first_sent = send(app_port, twice(deliveries, seed=2), args.clients)
        expected_mails = 2 * args.payments  # "received" and "payment received", one each

        def done():
            found = count_effects(url, config, since)
            return found if found["unsent"] == 0 and _smtp_count() >= expected_mails else None

        try:
            found = wait_until(done, args.timeout, "the drain", step=1.0)
        finally:
            sampling.set()
        left = backlog(redis.url)
        ran = jobs_run(redis.url)
    finally:
        stop(server)
        stop(worker)
    elapsed = found["last_sent"].timestamp() - first_sent
    print(f"  webhook deliveries accepted: {rate:,.0f}/s (while the worker ran)")
    print(
        f"  first event to last notice sent: {elapsed:.1f} s   (goal <= 60 s for 300 payments)"
        f"   {elapsed / args.payments * 1000:.0f} ms per payment"
    )
    print(
        f"  jobs the worker ran: {ran} ({ran / args.payments:.1f} per payment);"
        f" rq backlog peak {peak[0]}, left {left}"
    )
    print("  effects (each expected exactly once per payment):")
    for name, value in found["effects"].items():
        if name != "payment events recorded":
            mark = "ok" if value == args.payments else "WRONG"
        else:
            mark = "ok" if value == args.payments else "WRONG (one per distinct event)"
        print(f"    {name:45} {value:6}  {mark}")
    received = _smtp_count()
    print(
        f"    e-mails received by the SMTP server          {received:6}  (expected {expected_mails})"
    )
    print(f"  worker log: {log.name}")


_smtp = None


def _smtp_count() -> int:
    return len(_smtp.messages)


def _worker_up(redis_url: str) -> bool:
    from redis import Redis
    from rq import Worker

    return bool(Worker.all(connection=Redis.from_url(redis_url)))


def main() -> None:
    global _smtp
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds to wait for the drain")
    parser.add_argument("--quick", action="store_true", help="400 events, 30 payments")
    parser.add_argument("--skip", choices=["ingestion", "drain"], help="leave one part out")
    args = parser.parse_args()
    if args.quick:
        args.events, args.payments = 400, 30

    from tests.mailservers import SmtpServer
    from tests.payments.conftest import LocalStripe

    print(f"load average before: {load_average()}")
    server, redis, localstripe, _smtp = start_postgres(), start_redis(), LocalStripe(), SmtpServer()
    documents = tempfile.mkdtemp(prefix="bench-webhooks-documents-")
    try:
        localstripe.start()
        _smtp.start()
        url = server.create_database("baladiya_bench_webhooks")
        config = {
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "STRIPE_API_BASE": localstripe.url,
            "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "THAWANI_WEBHOOK_SECRET": THAWANI_SECRET,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": _smtp.port,
            "SMS_BACKEND": "console",
            "DOCUMENT_STORAGE_PATH": documents,
        }
        env = {**os.environ, "DATABASE_URL": url, **{k: str(v) for k, v in config.items()}}
        prepare_schema(url, config)
        if args.skip != "ingestion":
            ingestion(args, url, redis, env, config)
        if args.skip != "drain":
            drain(args, url, redis, env, config, localstripe)
    finally:
        _smtp.stop()
        localstripe.stop()
        server.stop()
        redis.stop()
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
