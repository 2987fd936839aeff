"""What poppler reads back from our PDFs (pdftotext, the text layer of Evince, Okular and
poppler-based search): Arabic words whole, the verification address on one line, a lease
licence on one page. poppler-utils is a test dependency (scripts/system-deps test)."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime

import pypdf
import pytest

from app.pdf import render_pdf
from tests.samples import receipt_context

# pdftotext comes with poppler-utils, which `make test` installs (scripts/system-deps test).
pytestmark = pytest.mark.usefixtures("no_network")

LEASE_URL = "http://127.0.0.1:5000/api/v1/licences/NBG-L-2026-000001/verify?code=Xk3Lp9QzT1vWb7Yd"
# Bidi controls pdftotext puts around right-to-left runs; not part of the words.
BIDI_MARKS = str.maketrans("", "", "\u202a\u202b\u202c\u202d\u202e")


def lease_licence_context(**changes):
    """A lease licence as `licensing.documents.licence_context` gives it (IDs masked)."""
    rows = [
        ("End date", "تاريخ الانتهاء", "2027-11-30"),
        ("Landlord civil id", "الرقم المدني للمؤجر", "•••••222"),
        ("Landlord name", "اسم المؤجر", "سعيد بن سالم بن حمد العامري"),
        ("Monthly rent (OMR)", "الإيجار الشهري (ر.ع)", "350.000"),
        ("Property reference", "رقم العقار", "صحار - الهمبار - قطعة 1123"),
        ("Start date", "تاريخ البدء", "2026-12-01"),
        ("Tenant civil id", "الرقم المدني للمستأجر", "•••••444"),
        ("Tenant name", "اسم المستأجر", "شركة مسقط للتجارة والمقاولات ش.م.م"),
        ("Use", "الاستعمال", "commercial"),
    ]
    context = {
        "authority_name_ar": "محافظة شمال الباطنة",
        "authority_name_en": "North Al Batinah Governorate",
        "number": "NBG-L-2026-000001",
        "service_name_ar": "تسجيل عقد إيجار",
        "service_name_en": "Lease Contract Registration",
        "holder_name": "شركة مسقط للتجارة والمقاولات ش.م.م",
        "holder_id_masked": "•••••344",
        "details": [{"label_en": en, "label_ar": ar, "value": value} for en, ar, value in rows],
        "valid_from": date(2026, 12, 1),
        "valid_until": date(2027, 11, 30),
        "issued_at": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        "verify_url": LEASE_URL,
    }
    return {**context, **changes}


def poppler_lines(pdf: bytes) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return [line.translate(BIDI_MARKS).strip() for line in text.splitlines()]


def poppler_words(pdf: bytes) -> set[str]:
    return {word for line in poppler_lines(pdf) for word in line.split()}


@pytest.fixture(scope="module")
def lease_pdf():
    return render_pdf("licence.html.j2", lease_licence_context())


@pytest.fixture(scope="module")
def receipt_pdf():
    return render_pdf("receipt.html.j2", receipt_context())


def test_a_lease_licence_is_one_page(lease_pdf):
    assert len(pypdf.PdfReader(io.BytesIO(lease_pdf)).pages) == 1


def test_poppler_reads_the_arabic_service_name_whole(lease_pdf):
    lines = poppler_lines(lease_pdf)

    assert "تسجيل عقد إيجار" in lines
    assert "إ" not in poppler_words(lease_pdf)  # was "إ يجار": a stray space after the alef
    assert {"إيجار", "سارية", "الإيجار", "المستأجر", "للمؤجر"} <= poppler_words(lease_pdf)


def test_poppler_reads_the_receipt_words_whole(receipt_pdf):
    words = poppler_words(receipt_pdf)

    # Were "بالر يال", "طر يقة": a space after the reh.
    assert {"بالريال", "طريقة", "إيصال", "إعلانية", "الإجمالي"} <= words
    assert "طريقة الدفع" in poppler_lines(receipt_pdf)


def test_the_verification_address_is_one_line(lease_pdf, receipt_pdf):
    assert LEASE_URL in poppler_lines(lease_pdf)
    assert receipt_context()["verify_url"] in poppler_lines(receipt_pdf)


def test_a_long_base_url_still_fits_on_one_line():
    url = "https://e-services.baladiya.om/api/v1/licences/NBG-L-2026-000001/verify?code=" + "x" * 16
    pdf = render_pdf("licence.html.j2", lease_licence_context(verify_url=url))

    assert url in poppler_lines(pdf) and len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
