"""PDF documents (licences, receipts and credit notes): Jinja2 renders HTML, WeasyPrint lays it out.

`render_pdf(template, context)` renders `app/pdf_templates/<template>` (autoescaped; a missing
context key is an error, never a blank on a legal document) and lays it out with WeasyPrint.
Arabic is shaped by Pango/HarfBuzz in the Amiri font, Latin text is set in DejaVu Sans; both come
from Debian packages (`scripts/system-deps`), are found through fontconfig and are embedded
(subset) in the PDF. Nothing is fetched while rendering: the URL fetcher accepts `data:` URLs and
files inside the template folder, and refuses everything else, which stops the rendering.

Context of `licence.html.j2`:

- `authority_name_ar`, `authority_name_en`: the issuing authority.
- `number`: the licence number, e.g. "NBG-L-2026-000123".
- `service_name_ar`, `service_name_en`: the licence type / service name.
- `holder_name`: the holder (Arabic or Latin; Arabic is set in Amiri).
- `holder_id_masked`: civil ID or CR number, already masked by the caller, e.g. "****3344".
- `details`: list of dicts with `label_ar`, `label_en`, `value` (values are escaped and printed
  as given: the caller formats amounts and masks personal IDs).
- `valid_from`, `valid_until`: `datetime.date`, printed as YYYY-MM-DD.
- `issued_at`: an aware `datetime`, printed in Asia/Muscat; it is also the PDF's creation and
  modification date, so the same context gives the same document.
- `verify_url`: printed under a QR code that encodes it.

Context of `receipt.html.j2` (a receipt, or a credit note that corrects one; one A4 page for up to
three lines):

- `kind`: "receipt" ("Receipt / إيصال استلام") or "credit_note" ("Credit note / إشعار دائن");
  anything else is an error.
- `authority_name_ar`, `authority_name_en`: the authority that received the payment.
- `number`: the document's number, e.g. "NBG-RC-2026-000123".
- `refers_to_number`: None, or (a credit note) the number of the receipt it corrects, printed as
  "Refers to receipt … / مرتبط بالإيصال …".
- `issued_at`: an aware `datetime`, printed in Asia/Muscat and used as the PDF's dates (as above).
- `payer_name`; `payer_id_masked`: civil ID or CR number, already masked, e.g. "****3344".
- `service_name_ar`, `service_name_en`; `application_reference`.
- `lines`: list of dicts with `description_ar`, `description_en`, `amount` (a string with three
  decimals, `app.money.format_baisa`: "12.500", or "-5.000" on a credit note).
- `total`: a string with three decimals, printed with "OMR" and "ر.ع".
- `amount_words_ar`, `amount_words_en`: the total in words (`app.money_words`).
- `payment_method_ar`, `payment_method_en`: e.g. "بطاقة" / "Card".
- `card_brand`, `card_last4`: e.g. "Visa", "4242"; either may be None (printed "****4242").
- `gateway_reference`: the payment or refund id at the gateway; None leaves the row out.
- `verify_url`: printed under a QR code that encodes it.

Context of `sla_monthly.html.j2` (the monthly SLA report of one authority, in one language,
A4 landscape; built by `licensing.monthly_report`):

- `lang`: "ar" (right to left) or "en"; every heading is in it, and names are given in it.
- `authority_name`; `month`: "YYYY-MM"; `as_of`: the Muscat date the open counts stand on;
  `generated_at`: an aware `datetime`, printed in Muscat and used as the PDF's dates.
- `departments`: rows with `name`, `received`, `completed`, `completed_on_time`,
  `on_time_percent` (None: no completions), `median_working_days`, `p90_working_days`, `open`,
  `breached`, `paused`; `totals`: the same counts (no median) over the authority.
- `families`: the chart, one bar per row: `name`, `completed`, `completed_on_time`,
  `on_time_percent` (None: no bar, "no completions"). The template draws each bar as SVG, 1000
  units for 100%, from the right in Arabic, with the percentage written on it.
- `missed`: the services that missed their targets: `code`, `name`, `received`, `completed`,
  `completed_late`, `on_time_percent`, `breached`, `median_working_days`.
- `explanations`: `reference`, `service_name`, `due_date` (or None), `recorded_on`, `reason`,
  `remedy` and `text_lang`, the language they are written in (another than `lang` is said).

Determinism: WeasyPrint writes no date or random identifier of its own when the HTML declares
`dcterms.created`/`dcterms.modified` (the templates do, from `issued_at`), so the same context and
the same WeasyPrint, Pango, HarfBuzz and fonts give identical bytes (tests check the bytes and the
extracted text). Another version of any of those may lay out or subset differently.
"""

from __future__ import annotations

import base64
import re
import struct
import threading
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import qrcode
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from app.timeutil import to_muscat

TEMPLATES = Path(__file__).parent / "pdf_templates"

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


class FetchRefused(ValueError):
    """A document asked for a resource that is neither a `data:` URL nor a template file."""


class LocalOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, restricted to `data:` URLs and files under the template folder.

    A refusal raises `FetchRefused`; inside a rendering (`fail_on_errors`) WeasyPrint turns it into
    `weasyprint.urls.FatalURLFetchingError`, so a document never silently lacks a resource.
    """

    def __init__(self, root: Path = TEMPLATES) -> None:
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)
        self._root = root.resolve()

    def fetch(self, url: str, headers=None):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(self._root) or not path.is_file():
                raise FetchRefused(f"not a file of the PDF templates: {url}")
        elif scheme != "data":
            raise FetchRefused(f"PDFs fetch nothing from the network: {url[:200]}")
        return super().fetch(url, headers)


def _is_arabic(text: object) -> bool:
    return bool(_ARABIC.search(str(text)))


def _muscat(moment: datetime) -> str:
    """An aware datetime as Muscat wall time: "2026-03-15 14:30 (+04:00)"."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError("documents print aware datetimes only")
    local = to_muscat(moment)
    return f"{local:%Y-%m-%d %H:%M} ({local.isoformat()[-6:]})"


def _w3c(moment: datetime) -> str:
    """The W3C date WeasyPrint copies into the PDF's CreationDate/ModDate."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError("documents carry aware datetimes only")
    return to_muscat(moment).isoformat(timespec="seconds")


def _iso_date(day: date) -> str:
    return day.isoformat()


# The mask pattern of every QR code (0-7; see `qr_png`).
QR_MASK = 2


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))


def qr_png(url: str) -> bytes:
    """A PNG of a QR code that encodes `url` (error correction M, the 4-module quiet zone): one
    8-bit grey pixel per module, black on white. The templates draw it 34 mm wide with
    `image-rendering: pixelated` (sharp module edges, no smoothing by the viewer).

    A bitmap, not SVG: WeasyPrint draws an SVG path in Python, segment by segment (about a fifth
    of a receipt's rendering); a bitmap is one image object.

    One fixed mask pattern (`QR_MASK`), not the best of the eight: qrcode builds and scores all
    eight in Python (6 of 7.5 ms for a verification address, about 5% of a warm receipt). Any
    mask decodes (its number is in the code's format information); the scoring only avoids
    patterns that are harder to scan, which a printed 34 mm code with a quiet zone does not need."""
    code = qrcode.QRCode(border=4, mask_pattern=QR_MASK)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    # Each row: filter type 0 (none), then one byte per module: 0 black, 255 white.
    rows = b"".join(b"\x00" + bytes(0 if dark else 255 for dark in row) for row in matrix)
    size = len(matrix)
    header = struct.pack("!IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows, 9))
        + _png_chunk(b"IEND", b"")
    )


def _qr_data_uri(url: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")


_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.tests["arabic"] = _is_arabic
_environment.filters["muscat"] = _muscat
_environment.filters["w3c"] = _w3c
_environment.filters["iso_date"] = _iso_date
_environment.globals["qr_data_uri"] = _qr_data_uri


def render_html(template: str, context: dict[str, Any]) -> str:
    """The HTML of a document; a missing context key raises `jinja2.UndefinedError`. Its styles
    are not in it: `render_pdf` gives WeasyPrint the template's parsed stylesheets beside it."""
    return _environment.get_template(template).render(context)


# The stylesheets of each template, in cascade order. They are parsed once per thread, not once
# per document (a `<style>` element is parsed, and its selectors compiled, with every document).
# WeasyPrint gives them the user origin, which for documents without styles of their own cascades
# exactly as the author origin did (the same bytes; tests check them).
STYLESHEETS: dict[str, tuple[str, ...]] = {
    "licence.html.j2": ("_base.css.j2",),
    "receipt.html.j2": ("_base.css.j2", "receipt.css.j2"),
    "sla_monthly.html.j2": ("_base.css.j2", "sla_monthly.css.j2"),
}

_warm = threading.local()


def font_configuration() -> FontConfiguration:
    """This thread's one WeasyPrint font configuration, kept warm between documents (building a
    new one per document loads the system's fonts again). Our templates declare no @font-face,
    so nothing accumulates in it; one per thread, since Pango's font maps are not shared safely
    between threads."""
    config = getattr(_warm, "config", None)
    if config is None:
        config = _warm.config = FontConfiguration()
    return config


def stylesheet(name: str) -> weasyprint.CSS:
    """The template folder's stylesheet `name`, parsed once by this thread (with its font
    configuration) and reused by every document after."""
    sheets = _warm.__dict__.setdefault("sheets", {})
    if name not in sheets:
        sheets[name] = weasyprint.CSS(
            string=_environment.get_template(name).render(),
            base_url=str(TEMPLATES) + "/",
            url_fetcher=LocalOnlyFetcher(),
            font_config=font_configuration(),
        )
    return sheets[name]


def html_to_pdf(html: str, stylesheets: tuple[str, ...] = ()) -> bytes:
    """Lay out `html` with the named stylesheets of the template folder (relative URLs resolve
    inside it) and return the PDF."""
    document = weasyprint.HTML(
        string=html, base_url=str(TEMPLATES) + "/", url_fetcher=LocalOnlyFetcher()
    )
    return document.write_pdf(
        font_config=font_configuration(), stylesheets=[stylesheet(name) for name in stylesheets]
    )


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render `app/pdf_templates/<template>` with `context` to PDF bytes (see the module doc)."""
    return html_to_pdf(render_html(template, context), STYLESHEETS[template])


def _sample_receipt() -> dict[str, Any]:
    """A receipt as a payer gets one (Arabic and Latin, two lines, a card, a QR code), for
    `warm_up`: nothing of it is kept."""
    from app.money_words import amount_in_words_ar, amount_in_words_en

    return {
        "kind": "receipt",
        "authority_name_ar": "محافظة شمال الباطنة",
        "authority_name_en": "North Al Batinah Governorate",
        "number": "NBG-RC-2026-000000",
        "refers_to_number": None,
        "issued_at": datetime(2026, 1, 1, tzinfo=UTC),
        "payer_name": "سالم بن حمد الحارثي",
        "payer_id_masked": "****3344",
        "service_name_ar": "تسجيل عقد إيجار",
        "service_name_en": "Lease registration",
        "application_reference": "NBG-2026-000000",
        "lines": [
            {"description_ar": "رسوم: تسجيل", "description_en": "Fee", "amount": "10.000"},
            {"description_ar": "رسوم التفتيش", "description_en": "Inspection", "amount": "2.500"},
        ],
        "total": "12.500",
        "amount_words_ar": amount_in_words_ar(12500),
        "amount_words_en": amount_in_words_en(12500),
        "payment_method": "card",
        "payment_method_ar": "بطاقة",
        "payment_method_en": "Card",
        "card_brand": "Visa",
        "card_last4": "4242",
        "gateway_reference": "pi_0000000000000000",
        "verify_url": "https://baladiya.om/api/v1/receipts/NBG-RC-2026-000000/verify?code=x",
    }


def warm_up() -> None:
    """Load now what the first document would otherwise load while a job waits for it: every
    template compiled and its stylesheets parsed, this thread's font configuration, and a
    sample receipt laid out (both fonts and their glyphs, the table layout, a QR code; the
    amounts' words). For a worker about to take jobs (`flask jobs worker`): its first receipt
    then costs what every later one does."""
    for template, sheets in STYLESHEETS.items():
        _environment.get_template(template)
        for name in sheets:
            stylesheet(name)
    render_pdf("receipt.html.j2", _sample_receipt())
