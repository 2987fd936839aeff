"""Money at the edge: strings with three decimals; integer baisa inside; never a float."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import format_baisa, parse_omr


@pytest.mark.parametrize(
    "baisa, text",
    [
        (0, "0.000"),
        (5, "0.005"),
        (5000, "5.000"),
        (12500, "12.500"),
        (1234567, "1234.567"),
        (-1500, "-1.500"),
    ],
)
def test_baisa_are_shown_with_three_decimals(baisa, text):
    assert format_baisa(baisa) == text


@pytest.mark.parametrize("value", [1.5, "5", None, True, 5.0])
def test_only_integers_are_baisa(value):
    with pytest.raises(TypeError):
        format_baisa(value)


@pytest.mark.parametrize(
    "text, baisa",
    [
        ("12.500", 12500),
        ("12.5", 12500),
        ("12.50", 12500),
        ("12", 12000),
        ("0", 0),
        ("0.010", 10),
        (" 3.000 ", 3000),
        ("007.5", 7500),
    ],
)
def test_rials_are_read_digit_by_digit(text, baisa):
    assert parse_omr(text) == baisa


@pytest.mark.parametrize(
    "value",
    [
        12.5,
        12,
        None,
        "12.5000",
        "12.3456",
        "-1.000",
        "+1",
        "1e3",
        "",
        ".5",
        "5.",
        "12,500",
        "١٢.٥",
        "NaN",
        "inf",
        "1 000",
        "1234567890123.000",
    ],
)
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        parse_omr(value)


@given(st.integers(min_value=0, max_value=10**14))
def test_reading_what_was_shown_gives_the_same_baisa(baisa):
    assert parse_omr(format_baisa(baisa)) == baisa


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_three_decimal_amounts_are_exact(amount):
    assert parse_omr(f"{amount:.3f}") == int(amount * 1000)
