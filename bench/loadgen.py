"""Load generation for the benches: gunicorn servers, closed and open loops, and their figures.

A closed loop keeps `clients` connections busy, each sending its next request when the last is
answered: its throughput is the saturating rate. An open loop sends requests at a given rate
(Poisson arrivals) whatever the answers, from enough threads to have them in flight; a request's
time counts from when it was due, so a stall counts in full. The clients are `CLIENT_PROCESSES`
processes (one Python process could not drive the bare baseline), forked: a request source is
any callable.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import random
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENT_PROCESSES = 2
OPEN_LOOP_THREADS = 48  # per client process: requests in flight when answers are slow
TIMEOUT = 30


# --- servers ----------------------------------------------------------------------------------


def serve(target: str, port: int, workers: int, env: dict, ready: str) -> subprocess.Popen:
    """gunicorn with `workers` sync workers on 127.0.0.1:`port`, once `ready` answers 200."""
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
        + ["--log-level", "warning", target],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", ready)
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {target} did not start")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(process: subprocess.Popen) -> float:
    """User and system CPU time spent so far by the server's workers (its children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in children(process.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Bare:
    """The baseline's one request: bench/bare_app.py's JSON endpoint."""

    short: Counter = Counter()

    def __init__(self, share: int = 0, of: int = 1) -> None:
        pass

    def next(self):
        return "bare", "GET", "/ping", None, {}


def send(connection: http.client.HTTPConnection, request) -> int:
    kind, method, path, body, headers = request
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        connection.close()
        return 0  # no answer


# --- loops --------------------------------------------------------------------------------------


def _client(port, source, share, of, mode, rate, seconds, threads, counter, results) -> None:
    mix = source(share, of)
    rng = random.Random(share)
    began = time.perf_counter() + 0.2
    deadline = began + seconds
    lock = threading.Lock()
    due = [began]
    records: list[tuple[str, float, int]] = []

    def next_due() -> float | None:
        with lock:  # Poisson arrivals at `rate` for this process
            at = due[0]
            due[0] += rng.expovariate(rate)
            return at if at < deadline else None

    def loop() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        while True:
            if mode == "open":
                at = next_due()
                if at is None:
                    return
                time.sleep(max(0.0, at - time.perf_counter()))
            else:
                at = time.perf_counter()
                if at >= deadline:
                    return
            request = mix.next()
            status = send(connection, request)
            records.append((request[0], time.perf_counter() - at, status))
            if counter is not None:
                with counter.get_lock():
                    counter.value += 1

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    time.sleep(max(0.0, began - time.perf_counter()))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((records, dict(mix.short)))


@dataclass
class Outcome:
    seconds: float
    records: list[tuple[str, float, int]]
    short: Counter

    @property
    def rate(self) -> float:
        return len(self.records) / self.seconds

    def errors(self, kind: str | None = None) -> int:
        return sum(1 for k, _, s in self.records if (kind in (None, k)) and not 0 < s < 400)

    def percentile_ms(self, q: float, kind: str | None = None) -> float:
        times = sorted(t for k, t, _ in self.records if kind in (None, k))
        if not times:
            return float("nan")
        return times[min(len(times) - 1, int(q * len(times)))] * 1000

    def statuses(self) -> Counter:
        return Counter(s for _, _, s in self.records)


def run(port, source, mode, seconds, *, clients=16, rate=0.0, counter=None) -> Outcome:
    """Closed loop with `clients` connections, or open loop at `rate` requests a second; each
    client process draws its requests from `source(share, of)` (`.next()`, `.short`)."""
    results = multiprocessing.Queue()
    each = max(1, clients // CLIENT_PROCESSES) if mode == "closed" else OPEN_LOOP_THREADS
    processes = [
        multiprocessing.Process(
            target=_client,
            args=(port, source, share, CLIENT_PROCESSES, mode, rate / CLIENT_PROCESSES)
            + (seconds, each, counter, results),
        )
        for share in range(CLIENT_PROCESSES)
    ]
    for process in processes:
        process.start()
    records, short = [], Counter()
    for _ in processes:
        found, ran_short = results.get(timeout=seconds + 120)
        records.extend(found)
        short.update(ran_short)
    for process in processes:
        process.join()
    return Outcome(seconds, records, short)


# --- report -------------------------------------------------------------------------------------


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def line(name: str, outcome: Outcome) -> str:
    return (
        f"{name:<34} {outcome.rate:8.1f} req/s   p50 {outcome.percentile_ms(0.5):7.1f} ms   "
        f"p95 {outcome.percentile_ms(0.95):7.1f} ms   p99 {outcome.percentile_ms(0.99):7.1f} ms   "
        f"errors {outcome.errors()}"
    )
