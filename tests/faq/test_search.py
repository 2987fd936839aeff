"""The FAQ is found however the question is typed: Arabic with or without diacritics and with
any spelling of alef, hamza, yaa and taa marbuta; English in any case. The answer is cached
like the catalogue's: 304 while nothing changed."""

from __future__ import annotations

import pytest

from tests.factories import staff_headers
from tests.faq.helpers import FAQ, published

LICENCE = {
    "question_ar": "كيف أجدد رخصة البلدية؟",
    "question_en": "How do I RENEW a municipal licence?",
    "answer_ar": "قدّم طلب التجديد إلكترونيًا عبر البوابة.",
    "answer_en": "Apply online through the portal.",
}
BUILDING = {
    "question_ar": "ما المستندات المطلوبة لترخيص مبنى؟",
    "question_en": "Which documents does a building permit need?",
    "answer_ar": "مخطط الأرض وملكيتها، وموافقة الدفاع المدني.",
    "answer_en": "The site plan, the title deed and the civil defence approval.",
}


@pytest.fixture
def entries(app, client):
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, admin = staff_headers(app, client, "admin", "NBG")
    return {
        "licence": published(client, inspector, admin, **LICENCE)["id"],
        "building": published(client, inspector, admin, **BUILDING)["id"],
    }


def found(client, q: str) -> list[int]:
    response = client.get(FAQ, query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return [e["id"] for e in response.get_json()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("رخصة", ["licence"]),  # as written
        ("رُخْصَة", ["licence"]),  # with tashkeel
        ("رخصه", ["licence"]),  # taa marbuta written as haa
        ("اجدد", ["licence"]),  # alef without its hamza (أجدد)
        ("إلكترونياً", ["licence"]),  # tanween on another alef, hamza below
        ("الكترونيا", ["licence"]),  # no hamza, no tanween
        ("مبني", ["building"]),  # yaa for alef maqsura (مبنى)
        ("مبنـــى", ["building"]),  # tatweel
        ("المدني الدفاع", ["building"]),  # every word, in any order, in the answer
        ("رخصة مبنى", []),  # every word must be found in one entry
        ("renew", ["licence"]),  # English, in any case
        ("CIVIL Defence", ["building"]),
        ("permit", ["building"]),
        ("غرامة", []),
    ],
)
def test_a_search_ignores_diacritics_letter_variants_and_case(client, entries, query, expected):
    assert found(client, query) == [entries[name] for name in expected]


def test_a_hidden_entry_is_never_found(app, client, entries):
    _, admin = staff_headers(app, client, "admin", "NBG")
    client.post(f"{FAQ}/{entries['licence']}/hide", json={"reason": "Outdated"}, headers=admin)
    assert found(client, "رخصة") == []
    assert found(client, "renew") == []


def test_the_list_answers_304_until_an_entry_changes(app, client, entries):
    first = client.get(FAQ, query_string={"q": "renew"})
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert "Accept-Language" in first.headers["Vary"]
    again = client.get(FAQ, query_string={"q": "renew"}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["ETag"] == tag and again.data == b""

    _, admin = staff_headers(app, client, "admin", "NBG")
    client.post(f"{FAQ}/{entries['licence']}/hide", json={"reason": "Outdated"}, headers=admin)
    changed = client.get(FAQ, query_string={"q": "renew"}, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.get_json() == []
    assert changed.headers["ETag"] != tag
