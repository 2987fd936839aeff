"""Bilingual PDF receipts and credit notes, rendered with WeasyPrint and read back with pypdf."""

from __future__ import annotations

import base64
import io
from datetime import datetime

import jinja2
import pypdf
import pytest

from app.money_words import amount_in_words_ar, amount_in_words_en
from app.pdf import qr_png, render_html, render_pdf
from tests.samples import SERVICE_AR, SERVICE_EN, receipt_context
from tests.test_pdf import pdf_qr_modules, qr_modules

# Rendering must never reach the network (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("no_network")

WORDS_AR = "اثنا عشر ريالًا عمانيًا وخمسمائة بيسة"
WORDS_EN = "Twelve Omani rials and five hundred baisa"


def credit_note_context(**changes):
    return receipt_context(
        kind="credit_note",
        number="NBG-CN-2026-000124",
        refers_to_number="NBG-RC-2026-000123",
        lines=[
            {
                "description_ar": "استرداد رسوم التفتيش",
                "description_en": "Refund of the inspection fee",
                "amount": "-5.000",
            }
        ],
        total="-5.000",
        amount_words_ar=amount_in_words_ar(-5000),
        amount_words_en=amount_in_words_en(-5000),
        gateway_reference="re_3PqR5tLkdIwHu7ix0XyZ",
        verify_url="https://baladiya.om/api/v1/receipts/NBG-CN-2026-000124/verify?code=0b5d11aa",
        **changes,
    )


@pytest.fixture(scope="module")
def receipt_pdf():
    return render_pdf("receipt.html.j2", receipt_context())


@pytest.fixture(scope="module")
def credit_note_pdf():
    return render_pdf("receipt.html.j2", credit_note_context())


def page_lines(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return [line.strip() for line in reader.pages[0].extract_text().splitlines()]


def test_a_receipt_reads_back_in_english_and_arabic(receipt_pdf):
    lines = page_lines(receipt_pdf)
    text = "\n".join(lines)

    assert "Receipt NBG-RC-2026-000123 إيصال استلام" in lines
    assert "Issued (Muscat time) 2026-03-15 14:30 (+04:00) تاريخ الإصدار بتوقيت مسقط" in lines
    # Arabic comes back from WeasyPrint as base letters (U+06xx) in logical order, with the
    # tanween as written, not as presentation forms and not reversed.
    assert f"Service {SERVICE_AR} {SERVICE_EN} الخدمة" in lines
    assert "Civil ID / CR number ****3344 الرقم المدني / السجل التجاري" in lines
    assert "Application reference NBG-APP-2026-004211 رقم الطلب" in lines
    assert "Payment method بطاقة Card · Visa ****4242 طريقة الدفع" in lines
    assert "Gateway reference pi_3PqR5tLkdIwHu7ix0ABCdEfG مرجع بوابة الدفع" in lines
    assert "Service fee 10.000 رسوم الخدمة" in lines
    assert "Inspection fee 2.500 رسوم التفتيش" in lines
    assert "12.500 OMR" in text
    assert f"Amount in words: {WORDS_EN}" in lines
    assert f"المبلغ كتابةً: {WORDS_AR}" in lines
    assert "https://baladiya.om/api/v1/receipts/NBG-RC-2026-000123/verify?code=7f3a9c2e" in lines
    assert "Refers to" not in text
    assert not [char for char in text if "\ufb50" <= char <= "\ufeff"]


def test_the_arabic_total_comes_back_out_of_order(receipt_pdf, credit_note_pdf):
    # The amount sits in an inner left-to-right span of the right-to-left cell, so that "-5.000"
    # is drawn as "-5.000" (checked with pdftotext -bbox: "ر.ع" left, then "-5.000", then
    # "الإجمالي" right). pypdf gives such a mixed cell back in drawing-run order, not in logical
    # order: the word glued to the amount, and a minus sign moved before the word.
    assert "Total 12.500 OMR  الإجمالي12.500 ر.ع" in page_lines(receipt_pdf)
    assert "Total -5.000 OMR  -الإجمالي5.000 ر.ع" in page_lines(credit_note_pdf)


def test_a_credit_note_refers_to_its_receipt(credit_note_pdf):
    lines = page_lines(credit_note_pdf)
    text = "\n".join(lines)

    assert "Credit note NBG-CN-2026-000124 إشعار دائن" in lines
    assert "Refers to receipt NBG-RC-2026-000123 NBG-RC-2026-000123 مرتبط بالإيصال" in lines
    assert "Refund of the inspection fee -5.000 استرداد رسوم التفتيش" in lines
    assert "-5.000 OMR" in text
    assert "Amount in words: Minus five Omani rials" in lines
    assert "المبلغ كتابةً: سالب خمسة ريالات عمانية" in lines
    assert "Refunded to بطاقة Card · Visa ****4242 طريقة الاسترداد" in lines
    assert f"Service {SERVICE_AR} {SERVICE_EN} الخدمة" in lines


def test_the_same_receipt_renders_the_same(receipt_pdf, credit_note_pdf):
    again = render_pdf("receipt.html.j2", receipt_context())

    assert again == receipt_pdf  # no "now" and no random id: the dates come from issued_at
    assert render_pdf("receipt.html.j2", credit_note_context()) == credit_note_pdf
    metadata = pypdf.PdfReader(io.BytesIO(again)).metadata
    assert metadata["/CreationDate"] == "D:20260315143000+04'00"
    assert metadata["/Title"] == "Receipt NBG-RC-2026-000123"


def test_a_cash_payment_has_no_card_and_no_gateway_row():
    context = receipt_context(
        payment_method_ar="نقدًا",
        payment_method_en="Cash",
        card_brand=None,
        card_last4=None,
        gateway_reference=None,
    )
    text = "\n".join(page_lines(render_pdf("receipt.html.j2", context)))

    assert "Payment method نقدًا Cash طريقة الدفع" in text
    assert "****4242" not in text
    assert "Gateway reference" not in text


def test_a_card_without_a_brand_shows_its_last_four_digits():
    html = render_html("receipt.html.j2", receipt_context(card_brand=None))

    assert "Card · ****4242</td>" in html


def test_an_unknown_kind_is_refused():
    with pytest.raises(jinja2.UndefinedError):
        render_html("receipt.html.j2", receipt_context(kind="invoice"))


def test_a_naive_issue_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        render_html("receipt.html.j2", receipt_context(issued_at=datetime(2026, 3, 15, 10, 30)))


def test_the_receipt_embeds_the_qr_code_of_its_verify_url():
    context = receipt_context()
    html = render_html("receipt.html.j2", context)

    png = base64.b64encode(qr_png(context["verify_url"])).decode()
    assert f'<img src="data:image/png;base64,{png}"' in html


def test_the_receipt_and_credit_note_pdfs_draw_the_qr_code_of_their_verify_url(
    receipt_pdf, credit_note_pdf
):
    assert pdf_qr_modules(receipt_pdf) == qr_modules(receipt_context()["verify_url"])
    assert pdf_qr_modules(credit_note_pdf) == qr_modules(credit_note_context()["verify_url"])
