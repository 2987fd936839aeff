"""Monthly SLA report benchmark: the cost of rendering `sla_monthly.html.j2` (the PDF behind
`GET /api/v1/reports/sla/monthly`) by the number of breach explanations of the month, beside a
receipt rendered in the same run (one page, the cheapest document we make).

The figures are a large authority's (6 departments, 8 service families, 12 services that missed
their targets); the explanations are 60 Arabic words each. Reading the figures is
`licensing.service_levels` (three statements, measured with the SLA report), not counted here.

Usage: .venv/bin/python bench/monthly_report.py [--explanations 0,10,50,200] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, date, datetime

import pypdf

from app.pdf import render_pdf, warm_up

REASON = "تأخر تقرير المساحة من الجهة المختصة بسبب ضغط العمل في نهاية الشهر " * 5


def figures(name: str, received: int, on_time: int, late: int) -> dict:
    completed = on_time + late
    return {
        "name": name,
        "code": "NBG-" + name.upper().replace(" ", "-"),
        "received": received,
        "completed": completed,
        "completed_on_time": on_time,
        "completed_late": late,
        "on_time_percent": round(100 * on_time / completed, 1) if completed else None,
        "median_working_days": 4.0,
        "p90_working_days": 7.5,
        "open": received - completed,
        "breached": late // 2,
        "paused": 1,
    }


def context(explanations: int) -> dict:
    rows = [figures(f"department {i}", 400, 300 - 20 * i, 20 * i) for i in range(6)]
    return {
        "lang": "ar",
        "authority_name": "محافظة شمال الباطنة",
        "month": "نوفمبر 2026",
        "as_of": date(2026, 12, 2),
        "generated_at": datetime(2026, 12, 2, 8, tzinfo=UTC),
        "departments": rows,
        "totals": figures("all", 2400, 1500, 300),
        "families": [figures(f"family {i}", 300, 250 - 25 * i, 25 * i) for i in range(8)],
        "missed": [figures(f"service {i}", 200, 150, 10 + i) for i in range(12)],
        "explanations": [
            {
                "reference": f"NBG-2026-{i:06d}",
                "service_name": "تسجيل عقد إيجار",
                "due_date": date(2026, 11, 20),
                "recorded_on": date(2026, 11, 23),
                "reason": REASON,
                "remedy": "طلبنا التقرير بصفة عاجلة وسيبت في الطلب خلال يومين",
                "text_lang": "ar",
            }
            for i in range(explanations)
        ],
    }


def seconds(render, runs: int) -> tuple[float, bytes]:
    times, pdf = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render()
        times.append(time.perf_counter() - started)
    return statistics.median(times), pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--explanations", default="0,10,50,200")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from app.pdf import _sample_receipt

    warm_up()
    receipt, _ = seconds(lambda: render_pdf("receipt.html.j2", _sample_receipt()), args.runs)
    print(f"receipt (baseline): {receipt:.3f} s")
    for count in (int(n) for n in args.explanations.split(",")):
        ctx = context(count)
        taken, pdf = seconds(lambda ctx=ctx: render_pdf("sla_monthly.html.j2", ctx), args.runs)
        pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        print(
            f"{count:>4} explanations: {pages:>3} pages, {taken:.2f} s "
            f"({taken / receipt:.1f}x a receipt)"
        )


if __name__ == "__main__":
    main()
