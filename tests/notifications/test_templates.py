"""Every event has its templates in Arabic and English, and SMS part counts are right."""

from __future__ import annotations

import pytest

from app.notifications.sms_text import sms_parts, sms_units
from app.notifications.templates import EVENTS, render

SAMPLE = {
    "reference": "NBG-2026-000042",
    "service_ar": "تجديد رخصة بلدية",
    "service_en": "Municipal licence renewal",
    "due_date": "2026-12-22",
    "amount": "12.500",
    "note_ar": "أرفق المخطط",
    "note_en": "Attach the plan",
    "inspection_date": "2026-12-24",
    "reason_ar": "نقص المستندات",
    "reason_en": "Missing documents",
    "licence_number": "NBG-L-2026-000007",
    "valid_until": "2027-12-21",
    "expires_on": "2027-12-21",
    "days_left": 30,
    "refund_reference": "RF-2026-000003",
    "decision_ar": "تمت الموافقة",
    "decision_en": "approved",
    "idle_days": 5,
    "assignee": "Inspector Salim",
    "credit_note": "NBG-CN-2026-000001",
    "note": "Send the bank statement",
    "receipt_number": "NBG-RC-2026-000002",
    "verify_url": "http://127.0.0.1:5000/api/v1/receipts/NBG-RC-2026-000002/verify?code=x",
    "verification_url": "http://127.0.0.1:5000/api/v1/licences/NBG-L-2026-000007/verify?code=x",
    "declaration_reference": "PRI-000004",
    "category_ar": "كبار السن",
    "category_en": "elderly",
    "reason": "",
    "reply_due": "2026-12-20",
    "written_on": "2026-12-17",
    # cases (issue 14)
    "kind_ar": "شكوى",
    "kind_en": "complaint",
    "answer": "The site was inspected.",
    "authority_ar": "محافظة البريمي",
    "authority_en": "Al Buraimi Governorate",
    "new_reference": "ABG-CASE-2026-000001",
    "body": "Any news?",
    # the escalation ladder (issue 15)
    "item_ar": "الطلب",
    "item_en": "Application",
    "level": 2,
    # breach explanations (issue 15)
    "remedy_ar": "طلبنا التقرير بصفة عاجلة",
    "remedy_en": "We asked for the report urgently",
    # password reset (issue 16)
    "url": "https://portal.example.om/reset?token=abc",
    "minutes": 15,
    "code": "482913",
    "changed_at": "2026-12-02 21:05",
    "title_ar": "مواعيد العمل في رمضان",
    "title_en": "Working hours in Ramadan",
    "what_ar": "رقم الهاتف",
    "what_en": "phone number",
    "new": "*********567",
}


@pytest.mark.parametrize("event", sorted(EVENTS))
@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_event_renders_in_both_languages(event, language):
    rendered = render(event, language, SAMPLE)
    assert rendered.title and rendered.text and rendered.sms and "<html" in rendered.html
    arabic = any("\u0600" <= ch <= "\u06ff" for ch in rendered.title + rendered.sms)
    assert arabic == (language == "ar")
    assert sms_parts(rendered.sms) <= 3


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(ValueError, match="reason_ar"):
        render("rejected", "ar", {k: v for k, v in SAMPLE.items() if k != "reason_ar"})


def test_html_escapes_what_the_user_typed():
    rendered = render("rejected", "en", {**SAMPLE, "reason_en": "<script>x</script>"})
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>x</script>" in rendered.text


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("ب" * 70, 1),
        ("ب" * 71, 2),
        ("ب" * 134, 2),
        ("ب" * 135, 3),
        ("a" * 159 + "€", 2),  # € takes two septets: 161
        ("a" * 159 + "ب", 3),  # one Arabic letter makes it UCS-2: 160 units, 67 a part
        ("", 0),
    ],
)
def test_sms_part_counts_at_the_boundaries(text, parts):
    assert sms_parts(text) == parts


def test_encodings():
    assert sms_units("Hello [x]") == ("gsm7", 11)
    assert sms_units("مرحبا") == ("ucs2", 5)
