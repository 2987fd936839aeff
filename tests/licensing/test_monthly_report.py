"""The monthly SLA report of North Al Batinah for November 2026, as the department head downloads
it: the PDF read back holds each family's on-time percentage on its bar (worked out below from
the start and stop days), the services that missed their targets and the month's explanations,
in Arabic and in English.

November 2026: Friday and Saturday are the weekend, no holiday before the 18th. Every clock here
has a 3-working-day target and starts on Sunday 1 November at 09:00: day 1 is Monday 2, day 3
Wednesday 4, its due date; a stop on Wednesday 4 is on time, on Thursday 5 or later late.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from app import uow
from app.accounts.models import User
from app.calendar.services import calendar_for, ensure_calendar_tables
from app.catalogue.models import Service
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import MUSCAT
from licensing.breaches import explain_breach
from tests.clock import Clock
from tests.factories import make_staff, staff_headers
from tests.sla_rows import an_applicant, an_application
from tests.test_sla_monthly_template import layout_lines

pytestmark = pytest.mark.usefixtures("no_network")

LEASE, HEALTH = "NBG-LEASE-REGISTER", "NBG-HEALTHCARD-REGISTER"
FAMILY_NAMES = {LEASE: ("عقود الإيجار", "Leases"), HEALTH: ("البطاقات الصحية", "Health cards")}
# Leases: 4 stopped, 3 on time (the 4th, 5th, 4th; the 8th is late): 3 of 4 = 75.0%.
# Health cards: 3 stopped, 1 on time (the 4th; the 5th and 9th are late): 1 of 3 = 33.3%.
LEASE_STOPS, HEALTH_STOPS = (4, 4, 4, 8), (4, 5, 9)
EXPECTED = {LEASE: ("75.0%", "3/4"), HEALTH: ("33.3%", "1/3")}
WHY_AR, WHAT_AR = "تأخر تقرير المساحة من الجهة المختصة", "طلبنا التقرير بصفة عاجلة"
WHY_EN, WHAT_EN = "The survey report came late", "We asked for it urgently"
OCTOBER_WHY = "تعطل نظام المواعيد في أكتوبر"


def at(day: int, month: int = 11, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=MUSCAT)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def november(app, clock):
    """The month's applications and explanations; the clock then stands on 2 December."""
    admin = make_staff(app, "admin", "NBG")["id"]  # answers for every department
    with app.app_context():
        ensure_calendar_tables()
        applicant = an_applicant()
        services = {
            code: db.session.query(Service).filter_by(code=code).one() for code in FAMILY_NAMES
        }
        calendar = calendar_for(services[LEASE].authority_id)

        def make(code, start, stop_day=None):
            clock_ = SlaClock(3).start(start)
            if stop_day:
                clock_ = clock_.stop(at(stop_day, start.month, 11), calendar)
            due = clock_.due_date(calendar, start)
            return an_application(applicant, services[code], clock_, due).id

        for day in LEASE_STOPS:
            make(LEASE, at(1), day)
        for day in HEALTH_STOPS:
            make(HEALTH, at(1), day)
        late_lease = make(LEASE, at(1))  # open, breached since Thursday 5
        late_health = make(HEALTH, at(1))
        october = make(LEASE, at(1, 10), None)  # started in October: not in November's figures
        db.session.commit()

    def explain(application_id, when, **texts):
        clock.stop_at(when)
        with app.app_context(), uow.transaction():
            explain_breach(db.session.get(User, admin), application_id, texts)

    explain(
        late_lease, at(10), reason_ar=WHY_AR, remedy_ar=WHAT_AR, reason_en=WHY_EN, remedy_en=WHAT_EN
    )
    explain(late_health, at(12), reason_ar="نقص في أطباء الفحص", remedy_ar="أضفنا موعدين يوميا")
    explain(october, at(29, 10), reason_ar=OCTOBER_WHY, remedy_ar="أصلحناه")
    clock.stop_at(at(2, 12, 10))


def report(client, headers, **query):
    return client.get("/api/v1/reports/sla/monthly", query_string=query, headers=headers)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_monthly_pdf_holds_the_chart_figures_and_the_explanations(app, client, november, lang):
    _, head = staff_headers(app, client, "department_head", "NBG")
    response = report(client, head, month="2026-11", lang=lang)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/pdf"
    assert "sla-NBG-2026-11-" + lang in response.headers["Content-Disposition"]
    lines = layout_lines(response.data)
    text = "\n".join(lines)

    for code, names in FAMILY_NAMES.items():
        name = names[0] if lang == "ar" else names[1]
        percent, counted = EXPECTED[code]
        [bar] = [line for line in lines if name in line]
        assert percent in bar and counted in bar, bar
    # both services missed their targets (late completions, and one open past its due date)
    assert LEASE in text and HEALTH in text
    assert ("نوفمبر 2026" if lang == "ar" else "November 2026") in text

    if lang == "ar":
        assert WHY_AR in text and WHAT_AR in text and "نقص في أطباء الفحص" in text
        assert WHY_EN not in text
    else:
        assert WHY_EN in text and WHAT_EN in text
        # written in Arabic only (the applicant's language): shown so, and said
        assert "نقص في أطباء الفحص" in text and "Written in Arabic only" in text
    assert OCTOBER_WHY not in text  # recorded in October


def test_another_authoritys_report_holds_none_of_it(app, client, november):
    _, elsewhere = staff_headers(app, client, "admin", "ABG")
    response = report(client, elsewhere, month="2026-11", lang="en")
    assert response.status_code == 200
    text = "\n".join(layout_lines(response.data))
    assert "Al Buraimi" in text
    assert WHY_EN not in text and "نقص في أطباء الفحص" not in text and LEASE not in text
    assert "Every service met its targets this month." in text


def test_a_month_is_written_yyyy_mm_and_a_language_is_ar_or_en(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    for query, field in (
        ({"month": "2026-13"}, "month"),
        ({"month": "11-2026"}, "month"),
        ({"month": "2019-12"}, "month"),
        ({"month": "0000-01"}, "month"),
        ({"month": "2041-01"}, "month"),
        ({"month": "2026-11", "lang": "fr"}, "lang"),
    ):
        response = report(client, head, **query)
        assert response.status_code == 422, query
        assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert report(client, head, month="2026-11").mimetype == "application/pdf"  # own language
