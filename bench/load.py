"""Load benchmark: a realistic mix under load, beside bare Flask measured the same way in the same run.

The mix, per 100 requests: 30 catalogue revalidations (If-None-Match, answered 304), 10 catalogue
pages and services in full, 25 applicants reading an application's status, 15 inspectors' queue
pages, 10 submissions of a draft whose documents are there, 10 Stripe-signed
`payment_intent.succeeded` deliveries (1 in 10 of them a duplicate of one already delivered).
The app runs under gunicorn (`--workers`, sync) with PostgreSQL and Redis, and one `flask jobs
worker` runs the jobs the mix makes (receipts, notices) meanwhile; everything on loopback ports of
its own, no network (Stripe's card details ride in the events; mail and SMS go to the console).

For bare Flask (`bench/bare_app.py`, the same gunicorn set-up) and then the app, in turn:
1. closed loop: `--clients` connections, each sending its next request when the last is answered,
   for `--seconds`: the saturating rate;
2. open loop: requests sent at 80 % of that rate (Poisson arrivals) for `--seconds`, whatever the
   answers: throughput, p50/p95/p99 (from the time each request was due, so a stall counts in
   full) and errors (status >= 400 or no answer).
Before them, `--warmup` seconds of the mix, not measured (each worker's first requests build what
it keeps). Then the rq backlog, and the RSS of each gunicorn worker and of the rq worker after the
warm-up, after half of `--memory-requests` app requests and after all of them (the mix goes on,
closed loop, until then).

Usage: .venv/bin/python bench/load.py [--seconds 30] [--clients 16] [--workers 4]
       [--memory-requests 10000]      (the default: about 3 minutes on 2 cores)
       .venv/bin/python bench/load.py --quick   (5 s phases, 1,000 requests for memory: < 2 min)
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
import multiprocessing
import os
import random
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import (  # noqa: E402
    CLIENT_PROCESSES,
    TIMEOUT,
    Bare,
    Outcome,
    children,
    line,
    load_average,
    rss_mib,
    run,
    serve,
    stop,
)
from tests.servers import free_port, start_postgres, start_redis  # noqa: E402

PASSWORD = "bench password 1"
WEBHOOK_SECRET = "whsec_bench_load"
SERVICE = "NBG-LEASE-REGISTER"
P99_GOAL_MS = 250
MIX = {  # kind: requests per 100
    "catalogue_304": 30,
    "catalogue_full": 10,
    "status": 25,
    "queue": 15,
    "submit": 10,
    "webhook": 10,
}


# --- the data the mix works on ----------------------------------------------------------------


@dataclass
class Pools:
    """What the mix's requests refer to; drafts and payments are used once each."""

    reads: list[int] = field(default_factory=list)
    drafts: list[int] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)


def prepare(url: str, redis_url: str) -> dict:
    """Migrate and seed; an applicant and an inspector of the service's authority. The jobs
    the set-up makes go to `redis_url` and are dropped there (`drop_jobs`), not run."""
    import flask_migrate

    from app import create_app
    from app.accounts.services import create_staff_account, register_applicant
    from app.authorities.models import Authority
    from app.extensions import db
    from app.seed import seed_reference_data

    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        person = {"name": "Bench Person", "password": PASSWORD}
        register_applicant(
            {
                **person,
                "civil_id": "99887766",
                "email": "bench@example.om",
                "phone": "+96899887766",
            },
            "en",
        )
        nbg = db.session.scalar(db.select(Authority).filter_by(code="NBG"))
        staff = {"civil_id": "99887755", "email": "inspector@example.om", "phone": "+96899887755"}
        create_staff_account(
            nbg.id, {**person, **staff, "role": "inspector", "department": "licensing"}, "en"
        )
        db.session.commit()
    return {"app": app, "next": 0}


def add_to_pools(state: dict, pools: Pools, reads: int, drafts: int, payments: int) -> None:
    """Applications with their documents: `reads` in review (read for their status), `drafts`
    to submit, `payments` waiting for a Stripe PaymentIntent `pi_bench_N` to succeed."""
    import sqlalchemy as sa

    from app import uow
    from app.accounts.models import User
    from app.catalogue.models import Service
    from app.extensions import db
    from licensing.services import confirm_payment, create_application, transition
    from payments import lifecycle
    from payments.models import Payment
    from payments.services import payment_reference
    from tests.factories import add_placeholder_documents

    with state["app"].app_context():
        user = db.session.scalar(sa.select(User).filter_by(email="bench@example.om"))
        service = db.session.scalar(sa.select(Service).filter_by(code=SERVICE))
        plan = ["read"] * reads + ["draft"] * drafts + ["payment"] * payments
        for done, purpose in enumerate(plan, 1):
            n = state["next"] = state["next"] + 1
            application = create_application(user, service, {"property_reference": f"P-{n}"})
            add_placeholder_documents(application)
            state["fee_baisa"] = application.fee_baisa
            if purpose == "draft":
                pools.drafts.append(application.id)
            else:
                transition(application, "submit", user)
            if purpose == "read":
                confirm_payment(application.id)
                pools.reads.append(application.id)
            if purpose == "payment":
                intent = f"pi_bench_{n}"
                payment = Payment(
                    reference=payment_reference(application),
                    authority_id=application.authority_id,
                    application_id=application.id,
                    payer_id=user.id,
                    amount_baisa=application.fee_baisa,
                    gateway="stripe",
                    gateway_intent_id=intent,
                    state=lifecycle.PENDING,
                )
                db.session.add(payment)
                pools.intents.append(intent)
            if done % 50 == 0 or done == len(plan):
                uow.commit()
    drop_jobs(state["app"].config["REDIS_URL"])


def drop_jobs(redis_url: str) -> None:
    from redis import Redis

    Redis.from_url(redis_url).flushdb()


# --- requests ---------------------------------------------------------------------------------


def succeeded_event(intent: str, amount: int) -> bytes:
    """A Stripe `payment_intent.succeeded` event, its charge expanded with the card."""
    charge = {"id": "ch_" + intent, "payment_method_details": {"card": {"brand": "visa"}}}
    charge["payment_method_details"]["card"]["last4"] = "4242"
    intent_object = {"id": intent, "object": "payment_intent", "amount": amount}
    intent_object.update(currency="omr", status="succeeded", latest_charge=charge)
    event = {"id": "evt_" + hashlib.sha256(intent.encode()).hexdigest()[:20], "object": "event"}
    event.update(type="payment_intent.succeeded", created=int(time.time()), livemode=False)
    event["data"] = {"object": intent_object}
    return json.dumps(event).encode()


def signature(body: bytes) -> str:
    timestamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class Mix:
    """The next request of the mix, drawn at random; a client process's share of the pools."""

    def __init__(self, setup: dict, share: int, of: int) -> None:
        self.rng = random.Random(f"{share} {time.time_ns()}")
        self.setup = setup
        self.drafts = setup["drafts"][share::of]
        self.intents = setup["intents"][share::of]
        self.delivered: list[bytes] = []
        self.lock = threading.Lock()
        self.kinds, self.weights = zip(*MIX.items(), strict=True)
        self.short = Counter()  # a pool ran out: a status read was sent instead

    def next(self) -> tuple[str, str, str, bytes | None, dict]:
        with self.lock:
            kind = self.rng.choices(self.kinds, self.weights)[0]
            return getattr(self, kind)()

    def catalogue_304(self):
        path, etag = self.rng.choice(self.setup["etags"])
        return "catalogue_304", "GET", path, None, {"If-None-Match": etag}

    def catalogue_full(self):
        path, _ = self.rng.choice(self.setup["etags"])
        return "catalogue_full", "GET", path, None, {}

    def status(self):
        application = self.rng.choice(self.setup["reads"])
        return "status", "GET", f"/api/v1/applications/{application}", None, self.setup["applicant"]

    def queue(self):
        page = self.rng.randint(1, 5)
        return "queue", "GET", f"/api/v1/applications?page={page}", None, self.setup["inspector"]

    def submit(self):
        if not self.drafts:
            self.short["submit"] += 1
            return self.status()
        path = f"/api/v1/applications/{self.drafts.pop()}/actions/submit"
        return "submit", "POST", path, b"{}", self.setup["applicant"]

    def webhook(self):
        if self.delivered and self.rng.random() < 0.1:
            body = self.rng.choice(self.delivered)  # Stripe delivers again: a duplicate
        elif self.intents:
            body = succeeded_event(self.intents.pop(), self.setup["fee_baisa"])
            self.delivered.append(body)
        else:
            self.short["webhook"] += 1
            return self.status()
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature(body)}
        return "webhook", "POST", "/api/v1/payments/stripe/webhook", body, headers


# --- report -------------------------------------------------------------------------------------


def by_kind(outcome: Outcome) -> None:
    for kind in MIX:
        count = sum(1 for k, _, _ in outcome.records if k == kind)
        print(
            f"    {kind:<16} {count:6d}   p50 {outcome.percentile_ms(0.5, kind):7.1f} ms   "
            f"p99 {outcome.percentile_ms(0.99, kind):7.1f} ms   errors {outcome.errors(kind)}"
        )
    if outcome.short:
        print(f"    pools ran out, status reads sent instead: {dict(outcome.short)}")


def rq_backlog(redis_url: str) -> str:
    from redis import Redis
    from rq import Queue

    from jobs import QUEUES

    connection = Redis.from_url(redis_url)
    counts = {name: Queue(name, connection=connection).count for name in QUEUES}
    return f"rq backlog: {sum(counts.values())} jobs waiting {counts}"


def memory(app_server: subprocess.Popen, worker: subprocess.Popen) -> str:
    pids = children(app_server.pid)
    gunicorn = ", ".join(f"{rss_mib(pid):.1f}" for pid in sorted(pids))
    return f"RSS MiB: gunicorn workers [{gunicorn}]; rq worker {rss_mib(worker.pid):.1f}"


class MemoryWatch:
    """RSS at the start, after half of `total` app requests and after all of them."""

    def __init__(self, total, counter, app_server, worker) -> None:
        self.marks = {0: memory(app_server, worker)}
        self.total, self.counter = total, counter
        self.args = (app_server, worker)
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        for mark in (self.total // 2, self.total):
            while self.counter.value < mark:
                time.sleep(0.05)
            self.marks[mark] = memory(*self.args)

    def done(self) -> bool:
        return self.total in self.marks


# --- the run ------------------------------------------------------------------------------------


def measure(name, port, source, seconds, clients) -> tuple[Outcome, Outcome]:
    closed = run(port, source, "closed", seconds, clients=clients)
    target = 0.8 * closed.rate
    opened = run(port, source, "open", seconds, rate=target)
    print(line(f"{name}, closed loop ({clients} clients)", closed))
    print(line(f"{name}, open loop at {target:.0f}/s (80 %)", opened))
    return closed, opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--clients", type=int, default=16, help="closed-loop connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of the mix unmeasured")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="5 s phases, 1,000 for memory")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.memory_requests = 5, 5, 1_000

    print(f"start: {load_average()}")
    postgres, redis = start_postgres(), start_redis()
    processes: list[subprocess.Popen] = []
    documents = tempfile.mkdtemp(prefix="baladiya-bench-documents-")
    try:
        url = postgres.create_database("baladiya_bench_load")
        # the set-up's own jobs go to another Redis database, emptied after each set-up
        state, pools = prepare(url, redis.url.removesuffix("/0") + "/15"), Pools()
        # 10 % of 150 requests a second (2 cores saturate below), for the warm-up; the closed
        # loop gets pools of its own after it (a draft is submitted once, an intent paid once)
        warm = int(args.warmup * 15) + 20
        add_to_pools(state, pools, reads=50, drafts=warm, payments=warm)
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "DATABASE_URL": url,
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",  # nothing listens: no network
            "DOCUMENT_STORAGE_PATH": documents,
        }
        app_port, bare_port = free_port(), free_port()
        app_server = serve("wsgi:app", app_port, args.workers, env, "/healthz")
        processes.append(app_server)
        processes.append(serve("bench.bare_app:app", bare_port, args.workers, env, "/ping"))
        worker = subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(worker)
        setup = client_setup(app_port, pools, state)
        counter = multiprocessing.Value("q", 0)
        print(
            f"gunicorn {args.workers} sync workers, PostgreSQL, Redis, 1 rq worker; "
            f"{CLIENT_PROCESSES} client processes; phases of {args.seconds:g} s; mix {MIX}"
        )
        # Each gunicorn worker builds what it keeps (the calendars, templates, fonts) on its first
        # requests: a warm-up of the mix, not measured, before the figures.
        run(bare_port, Bare, "closed", args.warmup, clients=args.clients)
        run(app_port, partial(Mix, setup), "closed", args.warmup, clients=args.clients)
        closed_pool = int(args.seconds * 45) + 20  # 10 % of up to 450 requests a second
        add_to_pools(state, pools, reads=0, drafts=closed_pool, payments=closed_pool)
        setup = client_setup(app_port, pools, state, setup)
        watch = MemoryWatch(args.memory_requests, counter, app_server, worker)  # from here on
        measure("bare Flask", bare_port, Bare, args.seconds, args.clients)
        # The closed loop of the app uses drafts and payments at its own pace; the open loop
        # needs 10 % of its requests of each, topped up before it starts.
        closed = run(
            app_port,
            partial(Mix, setup),
            "closed",
            args.seconds,
            clients=args.clients,
            counter=counter,
        )
        target = 0.8 * closed.rate
        need = int(target * args.seconds * 0.13) + 20
        add_to_pools(state, pools, reads=0, drafts=need, payments=need)
        setup = client_setup(app_port, pools, state, setup)
        opened = run(
            app_port, partial(Mix, setup), "open", args.seconds, rate=target, counter=counter
        )
        print(line(f"app mix, closed loop ({args.clients} clients)", closed))
        by_kind(closed)
        print(f"    statuses {dict(closed.statuses())}")
        print(line(f"app mix, open loop at {target:.0f}/s (80 %)", opened))
        by_kind(opened)
        p99 = opened.percentile_ms(0.99)
        print(
            f"goal p99 <= {P99_GOAL_MS} ms at 80 % of the saturating rate: "
            f"{'met' if p99 <= P99_GOAL_MS else 'NOT met'} ({p99:.1f} ms); "
            f"errors at that rate: {opened.errors()}; statuses {dict(opened.statuses())}"
        )
        print(f"after the open loop: {rq_backlog(redis.url)}")
        while not watch.done():  # the mix goes on until the memory marks are all taken
            left = args.memory_requests - counter.value
            add_to_pools(state, pools, reads=0, drafts=left // 10 + 10, payments=left // 10 + 10)
            setup = client_setup(app_port, pools, state, setup)
            run(app_port, partial(Mix, setup), "closed", 10, clients=args.clients, counter=counter)
        watch.thread.join()
        for mark, figures in sorted(watch.marks.items()):
            print(f"after {mark:>6,} app requests: {figures}")
        print(f"at the end: {rq_backlog(redis.url)}")
    finally:
        for process in processes:
            stop(process)
        postgres.stop()
        redis.stop()
        print(f"end: {load_average()}")


def client_setup(port: int, pools: Pools, state: dict, previous: dict | None = None) -> dict:
    """What the client processes need: tokens, the catalogue's ETags, and the pools not yet
    handed out (each handed out once)."""
    if previous is None:
        previous = {
            "applicant": bearer(port, "bench@example.om"),
            "inspector": bearer(port, "inspector@example.om"),
            "etags": catalogue_etags(port),
            "reads": list(pools.reads),
            "fee_baisa": state["fee_baisa"],
        }
    setup = {**previous, "drafts": list(pools.drafts), "intents": list(pools.intents)}
    pools.drafts.clear()
    pools.intents.clear()
    return setup


def bearer(port: int, email: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    body = json.dumps({"email": email, "password": PASSWORD})
    connection.request(
        "POST", "/api/v1/auth/login", body=body, headers={"Content-Type": "application/json"}
    )
    token = json.loads(connection.getresponse().read())["access_token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def catalogue_etags(port: int) -> list[tuple[str, str]]:
    """(address, ETag) of the catalogue's pages and a few services, as a browser keeps them."""
    paths = [f"/api/v1/services?page={n}" for n in range(1, 6)]
    paths += [f"/api/v1/services/{code}" for code in (SERVICE, "NBG-BURIAL", "ABG-COMPLAINT")]
    paths.append("/api/v1/services?authority=NBG&family=lease")
    found = []
    for path in paths:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        found.append((path, response.getheader("ETag")))
    return found


if __name__ == "__main__":
    main()
