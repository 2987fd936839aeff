"""CSV files people open in Excel (survey exports, the SLA report): UTF-8 with a byte order mark
(without it Excel reads Arabic as mojibake), and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP's list: tab
# and carriage return start one too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text that would start a formula, with a leading apostrophe (shown as text); numbers and
    empty cells as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: the BOM, the header, then each row, every cell made safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
