"""Reference data every installation starts with: the three authorities and their departments."""

from __future__ import annotations

import sqlalchemy as sa

from app.authorities.models import Authority, Department
from app.extensions import db

AUTHORITIES = (
    ("NBG", "محافظة شمال الباطنة", "North Al Batinah Governorate"),
    ("ABG", "محافظة البريمي", "Al Buraimi Governorate"),
    ("MEM", "وزارة الطاقة والمعادن", "Ministry of Energy and Minerals"),
)

DEPARTMENTS = (
    ("licensing", "دائرة التراخيص", "Licensing Department"),
    ("health", "دائرة الرقابة الصحية", "Health Control Department"),
    ("engineering", "دائرة الشؤون الهندسية", "Engineering Affairs Department"),
    ("finance", "الدائرة المالية", "Finance Department"),
    ("customer_service", "دائرة خدمة المراجعين", "Customer Service Department"),
    ("it", "دائرة تقنية المعلومات", "Information Technology Department"),
)


def seed_authorities() -> list[Authority]:
    """Create or update the seeded authorities and departments; safe to run again."""
    authorities = []
    for code, name_ar, name_en in AUTHORITIES:
        authority = db.session.scalar(sa.select(Authority).filter_by(code=code))
        if authority is None:
            authority = Authority(code=code)
            db.session.add(authority)
        authority.name_ar, authority.name_en = name_ar, name_en
        db.session.flush()
        existing = {d.code: d for d in authority.departments}
        for dep_code, dep_ar, dep_en in DEPARTMENTS:
            department = existing.get(dep_code) or Department(authority=authority, code=dep_code)
            department.name_ar, department.name_en = dep_ar, dep_en
            db.session.add(department)
        authorities.append(authority)
    db.session.flush()
    return authorities
