"""The SMS part counts we promise, for every template in both languages, with the longest values
each variable takes in practice. A change of wording that costs a part fails here."""

from __future__ import annotations

import pytest

from app.notifications.sms_text import sms_parts
from app.notifications.templates import EVENTS, render

# PUBLIC_BASE_URL of 30 characters: the README promises one-part English payment and licence SMS
# up to this length.
BASE = "https://e-services.baladiya.om"
CODE = "A" * 16  # secrets.token_urlsafe(12), as receipts and licences get
LONG_REASON_AR = " ".join(["نقص في المستندات المطلوبة"] * 20)  # typed by staff: cut in the SMS
LONG_REASON_EN = " ".join(["Missing documents required"] * 20)

LONGEST = {
    "reference": "NBG-2026-000042",
    "service_ar": "تجديد رخصة بلدية",
    "service_en": "Municipal licence renewal",
    "due_date": "2026-12-22",
    "amount": "99999.990",  # the largest OMR amount Stripe takes (eight digits of baisa)
    "note_ar": "ن" * 2000,
    "note_en": "n" * 2000,
    "note": "n" * 2000,
    "inspection_date": "2026-12-24",
    "licence_number": "NBG-L-2026-000123",
    "valid_until": "2027-12-21",
    "expires_on": "2027-12-21",
    "days_left": 30,
    "refund_reference": "RF-NBG-2026-000123",
    "decision_ar": "تعذر التحويل",
    "decision_en": "not transferred",
    "idle_days": 120,
    "assignee": "Inspector Salim Al Harthy",
    "credit_note": "NBG-CN-2026-000123",
    "receipt_number": "NBG-RC-2026-000123",
    "verify_url": f"{BASE}/api/v1/receipts/NBG-RC-2026-000123/verify?code={CODE}",
    "verification_url": f"{BASE}/api/v1/licences/NBG-L-2026-000123/verify?code={CODE}",
}
REJECTED = {"reason_ar": LONG_REASON_AR, "reason_en": LONG_REASON_EN}
# cases (issue 14): the longest reference and kind; texts typed by people stay out of the SMS.
CASE = {
    "reference": "NBG-CASE-2026-000042",
    "new_reference": "ABG-CASE-2026-000042",
    "kind_ar": "بلاغ دعم فني",
    "kind_en": "support ticket",
    "authority_ar": "محافظة شمال الباطنة",
    "authority_en": "North Al Batinah Governorate",
    "answer": "a" * 8000,
    "body": "b" * 4000,
}
# the escalation ladder (issue 15): the longest item name and reference, level 3
LADDER = {
    "item_ar": "رسالة مقدم الطلب على الطلب",
    "item_en": "The applicant's message on",
    "reference": "NBG-CASE-2026-000042",
    "level": 3,
}
REFUND_REJECTED = {"decision_ar": "مرفوض", "decision_en": "rejected", **REJECTED}
PRIORITY = {
    "declaration_reference": "PRI-000123",
    "category_ar": "ذوو الإعاقة",
    "category_en": "person with disability",
    "decision_ar": "تم التحقق من فئة الأولوية",
    "decision_en": "Your priority category is verified",
    "reason": "",
}
PRIORITY_REFUSED = {
    **PRIORITY,
    "decision_ar": "لم يُقبل طلب الأولوية",
    "decision_en": "Your priority declaration was refused",
    "reason": LONG_REASON_AR,
}
REPLY = {"reply_due": "2026-12-22", "written_on": "2026-12-21"}
# breach explanations (issue 15): the reason is cut in the SMS; what is being done is not in it.
BREACH = {**REJECTED, "remedy_ar": LONG_REASON_AR, "remedy_en": LONG_REASON_EN}
RESET = {
    "url": "https://portal.example.om/portal/password-reset?token=" + "x" * 43,
    "minutes": 15,
    "code": "482913",
    "changed_at": "2026-12-02 21:05",
}

# (event, extra context, parts in Arabic, parts in English)
PROMISED = [
    ("answer_received", {}, 1, 1),
    ("application_cancelled", {}, 1, 1),
    ("application_completed", {}, 1, 1),
    ("approved", {}, 1, 1),
    ("escalation", {}, 1, 1),
    ("info_requested", {}, 1, 1),
    ("inspection_recorded", {}, 1, 1),
    ("inspection_scheduled", {}, 1, 1),
    ("licence_cancelled", {}, 1, 1),
    ("licence_issued", {}, 3, 1),  # Arabic is UCS-2: the link alone is 95 of its 201 units
    ("payment_due", {}, 1, 1),
    ("payment_expired", {}, 1, 1),
    ("payment_received", {}, 3, 1),
    ("refund_completed", {}, 2, 1),
    ("refund_decided", {}, 1, 1),  # approved, or not transferred: with the amount
    ("refund_decided", REFUND_REJECTED, 2, 2),  # rejected: with the reason, cut
    ("refund_evidence_requested", {}, 2, 1),
    ("refund_submitted", {}, 1, 1),
    ("rejected", REJECTED, 2, 2),
    ("renewal_due", {}, 1, 1),
    ("review_started", {}, 1, 1),
    ("submitted", {}, 1, 1),
    ("withdrawn", {}, 1, 1),
    ("priority_decided", PRIORITY, 1, 1),
    ("priority_decided", PRIORITY_REFUSED, 2, 2),  # with the reason (in any language), cut
    ("message_received", REPLY, 1, 1),
    ("reply_overdue", REPLY, 1, 1),
    ("case_received", CASE, 1, 1),
    ("case_acknowledged", CASE, 1, 1),
    ("case_answered", CASE, 1, 1),
    ("case_forwarded", CASE, 1, 1),
    ("case_escalated", CASE, 1, 1),
    ("case_idle", CASE, 1, 1),
    ("case_message", CASE, 1, 1),
    ("sla_at_risk", LADDER, 1, 1),
    ("sla_escalated", LADDER, 1, 1),
    ("breach_explained", BREACH, 2, 2),
    # a one-time code is one part, so it arrives whole or not at all
    ("password_reset_code", RESET, 1, 1),
    ("password_reset_link", RESET, 1, 1),
    ("password_changed", RESET, 1, 1),
    # news by SMS, the title cut to fit one part
    ("announcement_sms", {"title_ar": "خ" * 300, "title_en": "N" * 300}, 1, 1),
    (
        "contact_changed",
        {"what_ar": "البريد الإلكتروني", "what_en": "e-mail address", "new": "*" * 40},
        1,
        1,
    ),
]


def test_every_event_has_its_promise():
    assert {event for event, *_ in PROMISED} == set(EVENTS)


@pytest.mark.parametrize(("event", "extra", "parts_ar", "parts_en"), PROMISED)
def test_sms_parts_with_the_longest_values(event, extra, parts_ar, parts_en):
    context = {**LONGEST, **extra}
    assert sms_parts(render(event, "ar", context).sms) == parts_ar
    assert sms_parts(render(event, "en", context).sms) == parts_en


def test_the_english_payment_sms_is_one_part_with_the_receipt_number_and_its_link():
    sms = render("payment_received", "en", LONGEST).sms

    assert len(sms) <= 160 and sms_parts(sms) == 1
    assert "NBG-RC-2026-000123" in sms and LONGEST["verify_url"] in sms


def test_the_licence_sms_and_email_carry_the_verification_url():
    for language in ("ar", "en"):
        rendered = render("licence_issued", language, LONGEST)
        assert LONGEST["verification_url"] in rendered.sms
        assert LONGEST["verification_url"] in rendered.text
        assert f'href="{LONGEST["verification_url"]}"' in rendered.html


def test_a_refund_rejection_sms_gives_the_reason_cut_at_a_word():
    context = {**LONGEST, **REFUND_REJECTED}
    arabic, english = (render("refund_decided", lang, context).sms for lang in ("ar", "en"))

    assert english.startswith("Baladiya: refund RF-NBG-2026-000123 rejected: Missing documents")
    assert english.endswith("required Missing...")
    assert arabic.startswith("بلدية: الاسترداد RF-NBG-2026-000123 مرفوض: نقص في المستندات")
    assert arabic.endswith("في…")
    short = {**LONGEST, **REFUND_REJECTED, "reason_en": "Paid twice? No: one payment."}
    assert render("refund_decided", "en", short).sms.endswith(
        "rejected: Paid twice? No: one payment."
    )
