"""Bilingual PDFs: a licence certificate rendered with WeasyPrint, read back with pypdf."""

from __future__ import annotations

import base64
import io
import threading
import unicodedata
from datetime import UTC, date, datetime

import PIL.Image
import pypdf
import pytest
import qrcode
from weasyprint.urls import FatalURLFetchingError

from app.pdf import (
    TEMPLATES,
    FetchRefused,
    LocalOnlyFetcher,
    html_to_pdf,
    qr_png,
    render_html,
    render_pdf,
)

# Rendering must never reach the network (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("no_network")

SERVICE_AR = "رخصة لوحة إعلانية"
HOLDER_AR = "سالم بن حمد الحارثي"
INJECTED = '<img src="http://example.com/x.png">'


def licence_context(**changes):
    context = {
        "authority_name_ar": "محافظة شمال الباطنة",
        "authority_name_en": "North Al Batinah Governorate",
        "number": "NBG-LIC-2026-000123",
        "service_name_ar": SERVICE_AR,
        "service_name_en": "Signage Licence",
        "holder_name": HOLDER_AR,
        "holder_id_masked": "****3344",
        "details": [
            {"label_ar": "الموقع", "label_en": "Location", "value": "Sohar, Al Hambar"},
            {"label_ar": "ملاحظة", "label_en": "Note", "value": INJECTED},
        ],
        "valid_from": date(2026, 3, 15),
        "valid_until": date(2027, 3, 14),
        "issued_at": datetime(2026, 3, 15, 10, 30, tzinfo=UTC),
        "verify_url": "https://baladiya.om/verify/NBG-LIC-2026-000123",
    }
    return {**context, **changes}


@pytest.fixture(scope="module")
def licence_pdf():
    return render_pdf("licence.html.j2", licence_context())


def page_text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_licence_reads_back_in_english_and_arabic(licence_pdf):
    text = page_text(licence_pdf)

    assert len(pypdf.PdfReader(io.BytesIO(licence_pdf)).pages) == 1
    assert "NBG-LIC-2026-000123" in text
    assert "Signage Licence" in text
    assert "North Al Batinah Governorate" in text
    assert "****3344" in text
    assert "2026-03-15 14:30 (+04:00)" in text  # issued_at, in Muscat
    assert "2027-03-14" in text
    assert "https://baladiya.om/verify/" in text
    # What pypdf gives back for Arabic from WeasyPrint: base letters (U+06xx) in logical order,
    # not presentation forms and not reversed; the lam-alef ligature comes back as two letters.
    assert SERVICE_AR in text
    assert HOLDER_AR in text
    assert "Licence holder " + HOLDER_AR + " صاحب الرخصة" in text.splitlines()
    assert not [char for char in text if "\ufb50" <= char <= "\ufeff"]
    assert SERVICE_AR in unicodedata.normalize("NFKC", text)


def test_the_pdf_embeds_amiri_and_dejavu(licence_pdf):
    page = pypdf.PdfReader(io.BytesIO(licence_pdf)).pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    families = {str(font["/BaseFont"]).split("+", 1)[-1] for font in fonts}

    assert {"Amiri", "DejaVu-Sans"} <= families
    for font in fonts:
        (descendant,) = font["/DescendantFonts"]
        assert "/FontFile2" in descendant.get_object()["/FontDescriptor"]  # embedded, subset


def test_the_same_licence_renders_the_same(licence_pdf):
    again = render_pdf("licence.html.j2", licence_context())

    assert page_text(again) == page_text(licence_pdf)
    assert again == licence_pdf  # no "now" and no random id: the dates come from issued_at
    metadata = pypdf.PdfReader(io.BytesIO(again)).metadata
    assert metadata["/CreationDate"] == "D:20260315143000+04'00"


def test_one_warm_font_configuration_per_thread_renders_the_same_bytes(licence_pdf):
    """Documents share their thread's font configuration (built once); another thread has its
    own; the bytes do not depend on which rendered them."""
    from app.pdf import font_configuration

    assert font_configuration() is font_configuration()
    seen = {}

    def render_elsewhere():
        seen["config"] = font_configuration()
        seen["pdf"] = render_pdf("licence.html.j2", licence_context())

    thread = threading.Thread(target=render_elsewhere)
    thread.start()
    thread.join()
    assert seen["config"] is not font_configuration()
    assert seen["pdf"] == licence_pdf == render_pdf("licence.html.j2", licence_context())


def test_markup_in_a_value_is_printed_not_fetched(licence_pdf):
    html = render_html("licence.html.j2", licence_context())

    assert "&lt;img src=&#34;http://example.com/x.png&#34;&gt;" in html
    assert "http://" not in html.replace("&#34;http://example.com/x.png&#34;", "")
    # The value wraps after "example.com/"; pypdf joins the two lines with a space or a newline.
    assert "".join(INJECTED.split()) in "".join(page_text(licence_pdf).split())


def test_a_naive_issue_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        render_pdf("licence.html.j2", licence_context(issued_at=datetime(2026, 3, 15, 10, 30)))


def test_the_fetcher_refuses_the_network_and_files_outside_the_templates():
    fetcher = LocalOnlyFetcher()

    for url in ("http://example.com/x.png", "https://example.com/a.css", "ftp://example.com/f"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    with pytest.raises(FetchRefused):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        fetcher.fetch((TEMPLATES / ".." / "pdf.py").as_uri())
    with pytest.raises(FetchRefused):
        fetcher.fetch("file://example.com/share/x.png")

    assert fetcher.fetch("data:text/plain;base64,b2s=").read() == b"ok"
    assert fetcher.fetch((TEMPLATES / "_base.css.j2").as_uri()).read().startswith(b"/*")


@pytest.mark.parametrize(
    "html",
    [
        '<img src="http://example.com/x.png">',
        '<style>@import url("https://example.com/a.css");</style><p>x</p>',
        '<p style="background: url(http://example.com/b.png)">x</p>',
    ],
)
def test_a_document_that_asks_for_a_remote_resource_is_not_rendered(html):
    with pytest.raises(FatalURLFetchingError):
        html_to_pdf(html)


def test_a_bare_page_renders():
    assert page_text(html_to_pdf("<p>Receipt</p>")).strip() == "Receipt"


def qr_modules(url: str) -> list[list[bool]]:
    """The modules of the QR code of `url`, as the qrcode library draws it (EC level M, 4-module
    quiet zone, mask pattern 2): the answer key for the image in a PDF."""
    code = qrcode.QRCode(
        border=4, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2
    )
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def image_modules(image) -> list[list[bool]]:
    """A QR bitmap read back pixel by pixel (one pixel a module): True where dark."""
    grey = image.convert("L")
    return [[grey.getpixel((x, y)) < 128 for x in range(grey.width)] for y in range(grey.height)]


def pdf_qr_modules(pdf: bytes) -> list[list[bool]]:
    (image,) = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    return image_modules(image.image)


def test_qr_png_is_the_qr_code_of_the_url_one_pixel_a_module():
    url = "https://baladiya.om/verify/NBG-LIC-2026-000123"
    png = qr_png(url)

    image = PIL.Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "L"
    assert image_modules(image) == qr_modules(url)
    assert image_modules(image) != qr_modules(url + "0")
    assert qr_png(url) == png  # the same bytes for the same address


def test_the_licence_draws_the_qr_code_of_its_verify_url_sharp(licence_pdf):
    context = licence_context()
    html = render_html("licence.html.j2", context)

    png = base64.b64encode(qr_png(context["verify_url"])).decode()
    assert f'<img src="data:image/png;base64,{png}"' in html
    assert pdf_qr_modules(licence_pdf) == qr_modules(context["verify_url"])
    (image,) = pypdf.PdfReader(io.BytesIO(licence_pdf)).pages[0].images
    assert image.indirect_reference.get_object()["/Interpolate"].value is False  # no smoothing


def test_stylesheets_are_parsed_once_per_thread():
    from app.pdf import stylesheet

    assert stylesheet("_base.css.j2") is stylesheet("_base.css.j2")
    seen = {}
    thread = threading.Thread(target=lambda: seen.setdefault("sheet", stylesheet("_base.css.j2")))
    thread.start()
    thread.join()
    assert seen["sheet"] is not stylesheet("_base.css.j2")
