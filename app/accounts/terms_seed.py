# ruff: noqa: E501 - the texts are prose, one paragraph a line
"""The first version of each authority's terms of use and privacy notice, written from what the
seeds promise (`/work/shared/seeds/000_…` and `002_…`): registration matching the civil ID card,
notices by SMS and e-mail, what a visit records, no sharing without consent. An admin publishes
the authority's own texts as version 2 and on (`POST /api/v1/terms`)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.terms_models import TermsVersion
from app.authorities.models import Authority
from app.extensions import db
from app.timeutil import real_utcnow

TERMS_AR = """شروط استخدام الخدمات الإلكترونية لـ{name_ar}

1. يعدّ تسجيل الحساب واستخدام الخدمات موافقةً على هذه الشروط وعلى إشعار الخصوصية.
2. يجب أن تطابق بيانات التسجيل بيانات البطاقة الشخصية الصادرة من الأحوال المدنية، وأن تكون البيانات والمرفقات صحيحة؛ ويؤدي عدم صحتها إلى عدم اكتمال الطلب أو رفضه.
3. يُبلَّغ المستخدم بمراحل طلبه عبر الحساب وبالرسائل النصية والبريد الإلكتروني المسجلين.
4. المستخدم مسؤول عن حماية بيانات الدخول، ومنها كلمة المرور، وعن إبلاغ الجهة بأي استخدام غير مأذون لحسابه.
5. الرسوم المعلنة لكل خدمة تُدفع عبر بوابة دفع معتمدة، ويُسترد ما يستحق الاسترداد بناءً على إثباتات.
6. قد تُعلَّق الخدمات مؤقتاً للصيانة بعد الإعلان عن ذلك.
7. تُعدَّل هذه الشروط بإصدار جديد، ويُطلب من المستخدم قبوله قبل متابعة استخدام الخدمات."""

TERMS_EN = """Terms of use of the e-services of {name_en}

1. Registering an account and using the services is acceptance of these terms and of the
   privacy notice.
2. Registration details must match the civil ID card issued by the Civil Status department, and
   the details and attachments must be true; untrue ones make a request incomplete or refused.
3. The user is told of each stage of a request in the account and by the SMS number and e-mail
   address registered.
4. The user keeps their login details, their password among them, safe, and tells the authority
   of any use of the account they did not allow.
5. The fee published for each service is paid through an approved payment gateway; what is due
   back is refunded against evidence.
6. Services may be suspended for maintenance after notice.
7. These terms change by a new version, which the user is asked to accept before using the
   services further."""

PRIVACY_AR = """إشعار الخصوصية لـ{name_ar}

- نجمع من البيانات ما تحتاجه الخدمات: الاسم والرقم المدني والبريد الإلكتروني ورقم الهاتف، والسجل التجاري للمنشآت، وبيانات الطلبات والمدفوعات.
- لا تُسجَّل من زيارات غير المسجلين إلا العنوان الشبكي وتاريخ الزيارة ووقتها، لأغراض التحليل والتطوير.
- لا تُشارَك البيانات الشخصية مع جهات خارجية دون موافقة المستخدم، إلا ما تتطلبه الخدمة المطلوبة أو يوجبه القانون.
- للمستخدم أن يطلب الاطلاع على بياناته وتصحيحها ومحوها وتقييد معالجتها وفق قانون حماية البيانات الشخصية (المرسوم السلطاني 6/2022).
- تُحفظ البيانات بأمان، وتبقى الإيصالات والإشعارات الدائنة وسجل التدقيق المدة التي توجبها القوانين المالية."""

PRIVACY_EN = """Privacy notice of {name_en}

- We collect what the services need: name, civil ID, e-mail, phone number, the commercial
  registration of businesses, and the data of requests and payments.
- Of the visits of people not signed in we record only the address, the date and the time,
  for analysis and improvement.
- Personal data is not shared with outside parties without the user's consent, except what the
  requested service needs or the law requires.
- Users may ask to see, correct, erase and restrict the processing of their data under the
  Personal Data Protection Law (Royal Decree 6/2022).
- Data is kept secure; receipts, credit notes and the audit trail are kept as long as the
  financial laws require."""


def seed_terms() -> list[TermsVersion]:
    """Version 1 for each authority that has none; safe to run again. The caller commits."""
    have = set(db.session.scalars(sa.select(TermsVersion.authority_id).distinct()))
    created = []
    for authority in db.session.scalars(sa.select(Authority).order_by(Authority.id)):
        if authority.id in have:
            continue
        names = {"name_ar": authority.name_ar, "name_en": authority.name_en}
        version = TermsVersion(
            authority_id=authority.id,
            version=1,
            terms_ar=TERMS_AR.format(**names),
            terms_en=TERMS_EN.format(**names),
            privacy_ar=PRIVACY_AR.format(**names),
            privacy_en=PRIVACY_EN.format(**names),
            summary_ar="الإصدار الأول",
            summary_en="First version",
            published_at=real_utcnow(),
            is_current=True,
        )
        db.session.add(version)
        created.append(version)
    db.session.flush()
    return created
