"""Realistic samples: a full receipt to render (the PDF tests read it back; bench/receipts.py
times it), and the context of a rejection notice (the outbox tests send it)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.money_words import amount_in_words_ar, amount_in_words_en

SERVICE_AR = "رخصة لوحة إعلانية"
SERVICE_EN = "Signage Licence"


def receipt_context(**changes):
    context = {
        "kind": "receipt",
        "authority_name_ar": "محافظة شمال الباطنة",
        "authority_name_en": "North Al Batinah Governorate",
        "number": "NBG-RC-2026-000123",
        "refers_to_number": None,
        "issued_at": datetime(2026, 3, 15, 10, 30, tzinfo=UTC),
        "payer_name": "سالم بن حمد الحارثي",
        "payer_id_masked": "****3344",
        "service_name_ar": SERVICE_AR,
        "service_name_en": SERVICE_EN,
        "application_reference": "NBG-APP-2026-004211",
        "lines": [
            {"description_ar": "رسوم الخدمة", "description_en": "Service fee", "amount": "10.000"},
            {
                "description_ar": "رسوم التفتيش",
                "description_en": "Inspection fee",
                "amount": "2.500",
            },
        ],
        "total": "12.500",
        "amount_words_ar": amount_in_words_ar(12500),
        "amount_words_en": amount_in_words_en(12500),
        "payment_method": "card",
        "payment_method_ar": "بطاقة",
        "payment_method_en": "Card",
        "card_brand": "Visa",
        "card_last4": "4242",
        "gateway_reference": "pi_3PqR5tLkdIwHu7ix0ABCdEfG",
        "verify_url": "https://baladiya.om/api/v1/receipts/NBG-RC-2026-000123/verify?code=7f3a9c2e",
    }
    return {**context, **changes}


# The context of a `rejected` notice, as licensing writes it.
REJECTION_NOTICE = {
    "reference": "NBG-2026-000042",
    "service_ar": "تسجيل عقد إيجار",
    "service_en": "Lease registration",
    "reason_ar": "المخطط غير مطابق",
    "reason_en": "The plan does not conform",
}
