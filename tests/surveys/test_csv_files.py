"""CSV cells a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import pytest

from app.csv_files import csv_text, safe_cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+968 9123 4567", "'+968 9123 4567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=cmd", "'\t=cmd"),
        ("خدمة ممتازة = شكراً", "خدمة ممتازة = شكراً"),  # not at the start: harmless
        ("", ""),
        (None, ""),
        (3, 3),
        (4.5, 4.5),
    ],
)
def test_a_cell_that_starts_a_formula_gets_an_apostrophe(cell, written):
    assert safe_cell(cell) == written


def test_the_file_starts_with_a_bom_and_ends_its_lines_as_excel_does():
    text = csv_text(("a", "b"), [("=x", 1)])
    assert text == "\ufeffa,b\r\n'=x,1\r\n"
