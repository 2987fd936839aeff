"""The catalogue services the case kinds run on, per authority, where the seed catalogue has
none (`cases.kinds.SERVICE_SUFFIX`): suggestions, inquiries and support tickets.

Targets, in working days, and why:
- support tickets: 1 (North Al Batinah's charter: technical support is answered within one
  working day), with escalation after 1 idle working day; for every authority, since none
  publishes another.
- inquiries: 0, "instant" (Al Buraimi's target for inquiry services, `ABG-INQUIRY`, which stays
  as seeded); due the day it is received.
- suggestions (and comments): the authority's complaint target, since Tajawob takes both
  through the same channel: 10 at North Al Batinah, 6 at Al Buraimi; the Ministry publishes no
  target, so North Al Batinah's 10 applies there, and the note says it is assumed.
Like the catalogue seed: a service already there is left as an admin may have changed it.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.authorities.models import Authority
from app.catalogue.departments import department_of
from app.catalogue.models import Service, ServiceAction, ServiceFamily
from app.extensions import db

NAMES = {
    "SUGGESTION": (
        "مقترحات وملاحظات",
        "Suggestions and comments",
        "تقديم مقترح أو ملاحظة إلى الجهة، ويُرد عليه بقرار وأسبابه.",
        "Sends a suggestion or a comment; it is answered with a decision and its reasons.",
    ),
    "INQUIRY": (
        "استفسار",
        "Inquiry",
        "طرح سؤال على الجهة، بحساب أو دونه.",
        "Asks the authority a question, with or without an account.",
    ),
    "TICKET": (
        "دعم فني وبلاغات الأعطال",
        "Technical support and fault reports",
        "الإبلاغ عن عطل أو خطأ في المنصة أو طلب دعم فني.",
        "Reports a fault or an error of the platform, or asks for technical support.",
    ),
}
# authority -> suffix -> (target days, escalation days, note_en or None)
TARGETS = {
    "NBG": {"SUGGESTION": (10, None, None), "INQUIRY": (0, None, None), "TICKET": (1, 1, None)},
    "ABG": {"SUGGESTION": (6, None, None), "TICKET": (1, 1, None)},
    "MEM": {
        "SUGGESTION": (10, None, "No published target: North Al Batinah's 10 days assumed."),
        "INQUIRY": (0, None, None),
        "TICKET": (1, 1, None),
    },
}
NOTE_AR = "لا يوجد وقت منشور: افتُرضت مدة محافظة شمال الباطنة (10 أيام عمل)."


def seed_case_services() -> list[Service]:
    """Create the missing case services; safe to run again. The caller commits."""
    created = []
    for code, targets in TARGETS.items():
        authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
        if authority is None:
            continue
        for suffix, (days, escalation, note_en) in targets.items():
            service_code = f"{code}-{suffix}"
            if db.session.scalar(sa.select(Service.id).where(Service.code == service_code)):
                continue
            name_ar, name_en, description_ar, description_en = NAMES[suffix]
            service = Service(
                code=service_code,
                authority=authority,
                department=department_of(
                    authority.id, ServiceFamily.GENERAL, "it" if suffix == "TICKET" else None
                ),
                name_ar=name_ar,
                name_en=name_en,
                description_ar=description_ar,
                description_en=description_en,
                family=ServiceFamily.GENERAL,
                action=ServiceAction.OTHER,
                sla_days=days,
                sla_note_ar=NOTE_AR if note_en else None,
                sla_note_en=note_en,
                escalation_days=escalation,
                fee_baisa=0,
                fee_is_placeholder=False,
                is_active=True,
            )
            db.session.add(service)
            created.append(service)
    db.session.flush()
    return created
