"""The monthly SLA report's template (`sla_monthly.html.j2`) drawn from a small context written
here: each family's bar is as long as its on-time percentage, from the right in Arabic, with the
percentage on it; the PDF reads back with the figures and the explanations in either language.
The report built from the database is tested in tests/licensing/test_monthly_report.py."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime

import pytest

from app.pdf import render_html, render_pdf
from tests.test_pdf_text import BIDI_MARKS

pytestmark = pytest.mark.usefixtures("no_network")

# (Arabic name, English name, completed, of which on time)
FAMILIES = [
    ("عقود الإيجار", "Leases", 12, 10),
    ("البطاقات الصحية", "Health cards", 8, 3),
    ("رخص البناء", "Building permits", 0, 0),
    ("الطلبات العامة", "General requests", 4, 4),
]
# 10 of 12, 3 of 8, none, 4 of 4
PERCENTS = {"Leases": "83.3%", "Health cards": "37.5%", "General requests": "100.0%"}
# 1000 units for 100%: 83.3% is 833 units
BAR_WIDTHS = {"Leases": 833.0, "Health cards": 375.0, "General requests": 1000.0}
WHY = {"ar": "تأخر تقرير المساحة من الجهة المختصة", "en": "The survey report came late"}
WHAT = {"ar": "طلبنا التقرير بصفة عاجلة", "en": "We asked for it urgently"}


def context(lang: str) -> dict:
    def name(ar: str, en: str) -> str:
        return ar if lang == "ar" else en

    return {
        "lang": lang,
        "authority_name": name("محافظة شمال الباطنة", "North Al Batinah Governorate"),
        "month": "2026-11",
        "as_of": date(2026, 12, 2),
        "generated_at": datetime(2026, 12, 2, 8, tzinfo=UTC),
        "departments": [
            {
                "name": name("دائرة التراخيص", "Licensing Department"),
                "received": 30,
                "completed": 24,
                "completed_on_time": 17,
                "on_time_percent": 70.8,
                "median_working_days": 4,
                "p90_working_days": 7.5,
                "open": 6,
                "breached": 2,
                "paused": 1,
            }
        ],
        "totals": {
            "received": 30,
            "completed": 24,
            "completed_on_time": 17,
            "on_time_percent": 70.8,
            "open": 6,
            "breached": 2,
            "paused": 1,
        },
        "families": [
            {
                "name": name(ar, en),
                "completed": completed,
                "completed_on_time": on_time,
                "on_time_percent": round(100 * on_time / completed, 1) if completed else None,
            }
            for ar, en, completed, on_time in FAMILIES
        ],
        "missed": [
            {
                "code": "NBG-LEASE-REGISTER",
                "name": name("تسجيل عقد إيجار", "Lease registration"),
                "received": 14,
                "completed": 12,
                "completed_late": 2,
                "on_time_percent": 83.3,
                "breached": 1,
                "median_working_days": 5,
            }
        ],
        "explanations": [
            {
                "reference": "NBG-2026-000042",
                "service_name": name("تسجيل عقد إيجار", "Lease registration"),
                "due_date": date(2026, 11, 20),
                "recorded_on": date(2026, 11, 23),
                "reason": WHY[lang],
                "remedy": WHAT[lang],
                "text_lang": lang,
            }
        ],
    }


def layout_lines(pdf: bytes) -> list[str]:
    """The PDF's text as poppler lays it out on the page (`-layout`): a bar's label and the
    percentage written on it come out on one line."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [line.translate(BIDI_MARKS).strip() for line in text.splitlines()]


def bars(html: str) -> list[tuple[float, float]]:
    """Each bar of the chart: its x and its width (1000 for 100%)."""
    found = re.findall(r'<rect class="value" x="([\d.]+)" y="8" width="([\d.]+)"', html)
    return [(float(x), float(width)) for x, width in found]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_each_bar_is_as_long_as_its_percentage_from_the_start_side(lang):
    drawn = bars(render_html("sla_monthly.html.j2", context(lang)))
    widths = [BAR_WIDTHS[en] for _, en, completed, _ in FAMILIES if completed]
    assert [width for _, width in drawn] == widths  # none for the family without completions
    starts = [1000 - width for width in widths] if lang == "ar" else [0.0] * len(widths)
    assert [x for x, _ in drawn] == pytest.approx(starts)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_pdf_reads_back_with_each_familys_percentage_on_its_line(lang):
    lines = layout_lines(render_pdf("sla_monthly.html.j2", context(lang)))
    for ar, en, completed, on_time in FAMILIES:
        name = ar if lang == "ar" else en
        [line] = [line for line in lines if name in line]
        if completed:
            assert PERCENTS[en] in line and f"{on_time}/{completed}" in line
        else:
            assert ("لا طلبات منجزة هذا الشهر" if lang == "ar" else "no completions") in line
    text = "\n".join(lines)
    assert WHY[lang] in text and WHAT[lang] in text and "NBG-2026-000042" in text
    assert ("تقرير مستوى الخدمة الشهري" if lang == "ar" else "Monthly service-level report") in text


def test_an_explanation_in_the_other_language_says_so():
    english = context("en")
    english["explanations"][0].update(reason=WHY["ar"], remedy=WHAT["ar"], text_lang="ar")
    text = "\n".join(layout_lines(render_pdf("sla_monthly.html.j2", english)))
    assert WHY["ar"] in text and "Written in Arabic only" in text
