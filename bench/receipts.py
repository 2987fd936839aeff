"""Receipts benchmark: how long one receipt PDF takes to render, and receipts per second per worker.

Renders a receipt with a full, realistic context (`receipt.html.j2`: two lines, card payment, QR
code) `--count` times in a row in this one process, and beside it, in the same run, a bare
one-line page through the same WeasyPrint set-up (`app.pdf.html_to_pdf("<p>Receipt</p>")`): the
cost of starting any PDF at all. Prints the median milliseconds and the rate of each, and the
ratios. The Jinja2 + QR part of a receipt (`render_html`) is shown on its own too.

Usage: .venv/bin/python bench/receipts.py [--count 200] [--warmup 5]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/calendar.py is named like the standard library's `calendar`: keep this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.pdf import html_to_pdf, render_html, render_pdf  # noqa: E402
from tests.samples import receipt_context  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="renders of each document")
    parser.add_argument("--warmup", type=int, default=5, help="renders before measuring")
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
