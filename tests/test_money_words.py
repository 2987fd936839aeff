"""Omani amounts in words, as printed on receipts and credit notes."""

from __future__ import annotations

import pytest

from app.money_words import amount_in_words_ar, amount_in_words_en


@pytest.mark.parametrize(
    ("baisa", "english", "arabic"),
    [
        (0, "Zero Omani rials", "صفر ريال عماني"),
        (10, "Ten baisa", "عشر بيسات"),
        (1000, "One Omani rial", "ريال عماني واحد"),
        (2000, "Two Omani rials", "ريالان عمانيان"),
        (3000, "Three Omani rials", "ثلاثة ريالات عمانية"),
        (11000, "Eleven Omani rials", "أحد عشر ريالًا عمانيًا"),
        (12500, "Twelve Omani rials and five hundred baisa", "اثنا عشر ريالًا عمانيًا وخمسمائة بيسة"),
        (100000, "One hundred Omani rials", "مائة ريال عماني"),
        (
            1234560,
            "One thousand, two hundred and thirty-four Omani rials and five hundred"
            " and sixty baisa",
            "ألف ومئتان وأربعة وثلاثون ريالًا عمانيًا وخمسمائة وستون بيسة",
        ),
        (-5000, "Minus five Omani rials", "سالب خمسة ريالات عمانية"),
        (
            -12500,
            "Minus twelve Omani rials and five hundred baisa",
            "سالب اثنا عشر ريالًا عمانيًا وخمسمائة بيسة",
        ),
    ],
)
def test_amounts_read_in_english_and_arabic(baisa, english, arabic):
    assert amount_in_words_en(baisa) == english
    assert amount_in_words_ar(baisa) == arabic


@pytest.mark.parametrize(
    ("baisa", "arabic"),
    [
        (1, "بيسة واحدة"),
        (2, "بيستان"),
        (3, "ثلاث بيسات"),
        (8, "ثماني بيسات"),
        (11, "إحدى عشرة بيسة"),
        (12, "اثنتا عشرة بيسة"),
        (21, "إحدى وعشرون بيسة"),
        (22, "اثنتان وعشرون بيسة"),
        (103, "مائة وثلاث بيسات"),
        (200, "مئتا بيسة"),
        (999, "تسعمائة وتسع وتسعون بيسة"),
    ],
)
def test_baisa_is_counted_with_feminine_numbers(baisa, arabic):
    assert amount_in_words_ar(baisa) == arabic


@pytest.mark.parametrize(
    ("baisa", "arabic"),
    [
        (1001, "ريال عماني واحد وبيسة واحدة"),
        (2_000_000, "ألفا ريال عماني"),  # the construct dual: the noun follows
        (3_000_000, "ثلاثة آلاف ريال عماني"),
        (11_000_000, "أحد عشر ألف ريال عماني"),
        (21_000, "واحد وعشرون ريالًا عمانيًا"),
        (110_000, "مائة وعشرة ريالات عمانية"),
    ],
)
def test_rials_are_counted_by_their_last_two_digits(baisa, arabic):
    assert amount_in_words_ar(baisa) == arabic


def test_english_has_a_singular_rial_and_no_zero_parts():
    assert amount_in_words_en(1001) == "One Omani rial and one baisa"
    assert amount_in_words_en(-10) == "Minus ten baisa"
    assert amount_in_words_ar(-10) == "سالب عشر بيسات"


@pytest.mark.parametrize("amount", [12.5, "12500", True, None])
def test_only_integer_baisa_are_read(amount):
    with pytest.raises(TypeError):
        amount_in_words_en(amount)
    with pytest.raises(TypeError):
        amount_in_words_ar(amount)
