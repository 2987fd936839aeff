"""Receipts benchmark: a warm receipt render against a bare page, and receipt jobs in a real worker.

1. Renders a receipt with a full, realistic context (`receipt.html.j2`: two lines, card payment,
   QR code) `--count` times in a row in this one process, and beside it, in the same run, a bare
   one-line page through the same WeasyPrint set-up (`app.pdf.html_to_pdf("<p>Receipt</p>")`):
   the cost of starting any PDF at all. Prints the median milliseconds and the ratio (goal <= 6x).
2. With PostgreSQL and Redis of its own (tests/servers.py, free loopback ports), `--receipts`
   receipt rows and a real `flask jobs worker`, as production runs it: the render job of each,
   enqueued one at a time, timed from the enqueue to the stored document (the row's
   `document_key`, polled every 2 ms), beside a warm in-process render of the same receipts in
   this process (goal: <= 1.5x); then a backlog of the rest at once. The worker's resident memory
   is printed at its start and after 50 and 200 receipts (and at the end). `--fork-jobs` runs that
   many jobs in rq's forking worker (`rq worker`, a work horse per job, as before) for comparison.

Quick: .venv/bin/python bench/receipts.py --count 20 --receipts 60 --fork-jobs 3
Usage: .venv/bin/python bench/receipts.py [--count 200] [--warmup 5] [--receipts 250]
       [--latency 50] [--fork-jobs 10]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.pdf import html_to_pdf, render_html, render_pdf  # noqa: E402
from tests.samples import receipt_context  # noqa: E402
from tests.servers import start_postgres, start_redis  # noqa: E402

RENDER = "receipts.services.render_receipt"

BARE_PAGE = "<p>Receipt</p>"


def measure(render: Callable[[], object], count: int, warmup: int) -> tuple[float, float]:
    """(median milliseconds per call, calls per second over `count` sequential calls)."""
    for _ in range(warmup):
        render()
    times = []
    began = time.perf_counter()
    for _ in range(count):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    elapsed = time.perf_counter() - began
    return statistics.median(times) * 1000, count / elapsed


def harfbuzz_subsetting() -> str:
    from weasyprint.text.ffi import harfbuzz_subset

    return "HarfBuzz (libharfbuzz-subset)" if harfbuzz_subset else "Python (fontTools): slow"


def prepare(url: str, count: int) -> list[int]:
    """Migrate and seed, then `count` receipt rows (not yet rendered) of one paid application."""
    import flask_migrate
    import sqlalchemy as sa

    from app import create_app
    from app.accounts.services import register_applicant
    from app.catalogue.models import Service
    from app.extensions import db
    from app.seed import seed_reference_data
    from app.timeutil import utcnow
    from licensing.services import create_application
    from payments.models import Payment
    from receipts.models import Receipt

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        db.session.commit()
        user = register_applicant(
            {
                "civil_id": "99887766",
                "name": "Bench Payer",
                "email": "bench@example.om",
                "phone": "+96899887766",
                "password": "bench-password-1234",
            },
            "en",
        )
        service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
        application = create_application(user, service, {"property_reference": "P-1"})
        payment = Payment(
            reference="pay-bench",
            authority_id=application.authority_id,
            application_id=application.id,
            payer_id=user.id,
            amount_baisa=12500,
            state="pending",  # the receipt job reads the receipt row only
            gateway_intent_id="pi_bench",
        )
        db.session.add(payment)
        db.session.flush()
        receipts = [
            Receipt(
                number=f"NBG-RC-2026-{n:06d}",
                kind="receipt",
                authority_id=application.authority_id,
                payment_id=payment.id,
                payer_id=user.id,
                amount_baisa=12500,
                issued_at=utcnow(),
                payer_name="سالم بن حمد الحارثي",
                payer_id_masked="****3344",
                service_code=service.code,
                service_name_ar=service.name_ar,
                service_name_en=service.name_en,
                application_reference=application.reference,
                payment_method="card",
                card_brand="Visa",
                card_last4="4242",
                gateway_reference=f"pi_bench_{n}",
                verification_code=f"code{n:08d}",
            )
            for n in range(1, count + 1)
        ]
        db.session.add_all(receipts)
        db.session.commit()
        return [receipt.id for receipt in receipts]


def in_process_renders(url: str, ids: list[int]) -> float:
    """Median ms of a warm render of each receipt's PDF in this process (the job's render)."""
    from app import create_app
    from app.extensions import db
    from app.pdf import render_pdf
    from receipts.models import Receipt
    from receipts.services import receipt_context as context_of

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        contexts = [context_of(db.session.get(Receipt, id_)) for id_ in ids]
        render_pdf("receipt.html.j2", contexts[0])  # warm
        times = []
        for context in contexts:
            start = time.perf_counter()
            render_pdf("receipt.html.j2", context)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


class Receipts:
    """The bench's view of the receipts table and the queue."""

    def __init__(self, url: str, redis_url: str) -> None:
        import sqlalchemy as sa
        from redis import Redis
        from rq import Queue

        self.engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.queue = Queue("default", connection=Redis.from_url(redis_url))

    def enqueue(self, receipt_id: int) -> None:
        self.queue.enqueue(
            "jobs.runner.run_task", RENDER, receipt_id, job_id=f"render-receipt-{receipt_id}"
        )

    def stored(self, ids: list[int]) -> int:
        import sqlalchemy as sa

        with self.engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT count(*) FROM receipts WHERE document_key IS NOT NULL AND id = ANY(:ids)"
                ),
                {"ids": ids},
            ).scalar()

    def wait(self, ids: list[int], timeout: float = 600, step: float = 0.002) -> float:
        start = time.perf_counter()
        while self.stored(ids) < len(ids):
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"{len(ids)} receipts not stored in {timeout} s")
            time.sleep(step)
        return time.perf_counter()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_env(url: str, redis_url: str, storage: str) -> dict:
    return {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DOCUMENT_STORAGE_PATH": storage,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
        "PYTHONPATH": str(ROOT),
    }


def end_to_end(table: Receipts, ids: list[int]) -> list[float]:
    """Seconds from each job's enqueue to its receipt stored, one job at a time."""
    times = []
    for receipt_id in ids:
        start = time.perf_counter()
        table.enqueue(receipt_id)
        times.append(table.wait([receipt_id]) - start)
    return times


def worker_figures(args) -> None:
    server, redis = start_postgres(), start_redis()
    processes = []
    try:
        url = server.create_database("baladiya_bench_receipts")
        ids = prepare(url, args.receipts + args.fork_jobs + 1)
        warm_ms = in_process_renders(url, ids[1 : 1 + args.latency])
        table = Receipts(url, redis.url)
        storage = tempfile.mkdtemp(prefix="bench-receipts-")
        env = worker_env(url, redis.url, storage)
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "worker", "default"], cwd=ROOT, env=env
        )
        processes.append(worker)
        table.enqueue(ids[0])  # the worker is up (and warm) once its first receipt is stored
        table.wait(ids[:1], timeout=120)
        rss = {"start": rss_mib(worker.pid)}
        work = ids[1 : 1 + args.receipts]
        latency = end_to_end(table, work[: args.latency])
        backlog = work[args.latency :]
        began = time.perf_counter()
        for receipt_id in backlog:
            table.enqueue(receipt_id)
        for mark in (50, 200):
            if len(work) >= mark:
                table.wait(work[:mark])
                rss[f"after {mark}"] = rss_mib(worker.pid)
        ended = table.wait(work)
        rss[f"end ({len(work)})"] = rss_mib(worker.pid)
        e2e_ms = statistics.median(latency) * 1000
        print(
            f"receipt job, real worker (flask jobs worker), enqueue -> stored: {e2e_ms:8.1f} ms "
            f"median of {len(latency)}, one at a time"
        )
        print(f"warm in-process render of the same receipts:                   {warm_ms:8.1f} ms")
        print(f"ratio worker end to end / warm in-process render: {e2e_ms / warm_ms:.2f}x")
        if backlog:
            per_job = (ended - began) / len(backlog) * 1000
            print(
                f"backlog of {len(backlog)} receipts: {per_job:.1f} ms a job, "
                f"{1000 / per_job:.1f} receipts/s, one worker"
            )
        print("worker RSS (MiB): " + ", ".join(f"{k} {v:.1f}" for k, v in rss.items()))
        worker.terminate()
        worker.wait(timeout=120)
        if args.fork_jobs:
            forked = ids[1 + args.receipts :]
            horse = subprocess.Popen(
                [str(ROOT / ".venv/bin/rq"), "worker", "default", "-u", redis.url, "-q"],
                cwd=ROOT,
                env=env,
            )
            processes.append(horse)
            fork_ms = statistics.median(end_to_end(table, forked)) * 1000
            print(
                f"for comparison, rq's forking worker (a work horse per job, before): "
                f"{fork_ms:8.1f} ms median of {len(forked)}, {fork_ms / warm_ms:.1f}x"
            )
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=120)
        redis.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="renders of each document")
    parser.add_argument("--warmup", type=int, default=5, help="renders before measuring")
    parser.add_argument("--receipts", type=int, default=250, help="receipt jobs in the worker")
    parser.add_argument("--latency", type=int, default=50, help="of which timed one at a time")
    parser.add_argument("--fork-jobs", type=int, default=10, help="jobs in rq's forking worker")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")

    context = receipt_context()
    pdf = render_pdf("receipt.html.j2", context)
    print(
        f"WeasyPrint {version('weasyprint')}, fonts subset by {harfbuzz_subsetting()}; "
        f"one receipt is {len(pdf):,} bytes; {args.count} sequential renders each, 1 process"
    )

    bare_ms, bare_rate = measure(lambda: html_to_pdf(BARE_PAGE), args.count, args.warmup)
    html_ms, _ = measure(lambda: render_html("receipt.html.j2", context), args.count, args.warmup)
    receipt_ms, receipt_rate = measure(
        lambda: render_pdf("receipt.html.j2", context), args.count, args.warmup
    )

    print(f"bare one-line page (WeasyPrint only): {bare_ms:8.1f} ms median  {bare_rate:7.1f} /s")
    print(f"receipt, HTML only (Jinja2 + QR):     {html_ms:8.1f} ms median")
    print(
        f"receipt, PDF:                         {receipt_ms:8.1f} ms median  {receipt_rate:7.1f} /s"
        " per worker"
    )
    print(
        f"ratio receipt / bare page: {receipt_ms / bare_ms:.1f}x the time, "
        f"{bare_rate / receipt_rate:.1f}x fewer per second"
    )
    if args.receipts:
        worker_figures(args)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
