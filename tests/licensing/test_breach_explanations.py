"""A lease application misses its 7-working-day target: its assignee says why and what is being
done, the applicant is told in their language, and until then it cannot be decided."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from app.notifications.models import Channel, Notification
from tests.clock import Clock
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, pay, upload_mandatory

WHY_AR = "تأخر تقرير المساحة من الجهة المختصة"
WHAT_AR = "طلبنا التقرير بصفة عاجلة وسيُبت في الطلب خلال يومين"
WHY_EN = "The survey report from the land office came late"
WHAT_EN = "We asked for it urgently; a decision follows within two days"
BOTH = {"reason_ar": WHY_AR, "remedy_ar": WHAT_AR, "reason_en": WHY_EN, "remedy_en": WHAT_EN}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def late_lease(app, client, clock):
    """An Arabic-speaking applicant's lease, paid on Thursday 17 December 2026 at 10:00 (due
    Monday 28: Fri-Sat weekend, then Sun 20 ... Mon 28 are its seven working days), assigned to
    an inspector; the clock then stands on Tuesday 29 at 12:00, a day late."""
    applicant, applicant_h = applicant_headers(client, preferred_language="ar")
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    _, head_h = staff_headers(app, client, "department_head", "NBG")
    clock.set(2026, 12, 17, 9)
    created = client.post("/api/v1/leases", json=LEASE, headers=applicant_h).get_json()
    upload_mandatory(app, client, applicant_h, created["id"])
    assert act(client, applicant_h, created["id"], "submit").status_code == 200
    clock.set(2026, 12, 17, 10)
    pay(app, created["id"])
    assigned = client.put(
        f"/api/v1/applications/{created['id']}/assignment",
        json={"assignee_id": inspector["id"]},
        headers=head_h,
    )
    assert assigned.status_code == 200, assigned.get_json()
    return {
        "id": created["id"],
        "reference": created["reference"],
        "applicant": applicant,
        "applicant_h": applicant_h,
        "inspector_h": inspector_h,
        "head_h": head_h,
    }


def explain(client, headers, application_id, **texts):
    return client.post(
        f"/api/v1/applications/{application_id}/breach-explanations", json=texts, headers=headers
    )


def explanations(client, headers, application_id):
    response = client.get(
        f"/api/v1/applications/{application_id}/breach-explanations", headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notices_of(app, user_id, event):
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id, Notification.event == event)
            .order_by(Notification.id)
        ).all()
        return [(r.channel, r.language, r.title, r.body_text, r.subject_id) for r in rows]


def test_an_explanation_is_refused_while_the_application_is_on_time(client, clock, late_lease):
    clock.set(2026, 12, 28, 13)  # Monday 28, its last working day: late only tomorrow
    response = explain(client, late_lease["inspector_h"], late_lease["id"], **BOTH)
    assert response.status_code == 409
    assert response.get_json()["code"] == "not_breached"
    assert explanations(client, late_lease["inspector_h"], late_lease["id"]) == []
    # and on time, nothing stands in the way of the decision
    approved = act(client, late_lease["inspector_h"], late_lease["id"], "approve")
    assert approved.status_code == 200, approved.get_json()


def test_a_late_application_cannot_be_decided_until_the_delay_is_explained(
    app, client, clock, late_lease
):
    clock.set(2026, 12, 29, 12)
    app_id, inspector = late_lease["id"], late_lease["inspector_h"]
    for action, body in (
        ("approve", {}),
        ("reject", {"reason_ar": "ناقص", "reason_en": "Incomplete"}),
    ):
        refused = act(client, inspector, app_id, action, **body)
        assert refused.status_code == 409, (action, refused.get_json())
        problem = refused.get_json()
        assert problem["code"] == "breach_explanation_required"
        assert problem["due_date"] == "2026-12-28"
    detail = client.get(f"/api/v1/applications/{app_id}", headers=inspector).get_json()
    assert detail["state"] == "in_review" and detail["sla"]["state"] == "breached"

    assert explain(client, inspector, app_id, **BOTH).status_code == 201
    approved = act(client, inspector, app_id, "approve")
    assert approved.status_code == 200, approved.get_json()
    # Issued by the department head: explained once, the application is decided to the end.
    issued = act(client, late_lease["head_h"], app_id, "issue")
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["state"] == "issued"


def test_an_approved_but_late_application_waits_for_an_explanation_before_issue(
    app, client, clock, late_lease
):
    """Approved a day late before the rule (a record written straight): issuing it asks too."""
    from licensing.models import Application
    from tests.licensing.helpers import put_in_state

    clock.set(2026, 12, 29, 12)
    with app.app_context():
        application = db.session.get(Application, late_lease["id"])
        application.move_clock("stop", clock.now)
        put_in_state(application.id, "approved")
        db.session.commit()
    refused = act(client, late_lease["head_h"], late_lease["id"], "issue")
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "breach_explanation_required"
    clock.set(2027, 1, 3, 9)
    assert explain(client, late_lease["head_h"], late_lease["id"], **BOTH).status_code == 201
    assert act(client, late_lease["head_h"], late_lease["id"], "issue").status_code == 200


def test_the_explanation_is_stored_and_the_applicant_is_told_in_arabic(
    app, client, clock, late_lease
):
    clock.set(2026, 12, 29, 12)
    app_id, reference = late_lease["id"], late_lease["reference"]
    response = explain(client, late_lease["inspector_h"], app_id, **BOTH)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert stored["reference"] == reference and stored["due_date"] == "2026-12-28"
    assert stored["language"] == "ar" and stored["author_role"] == "inspector"
    assert stored["created_at"] == "2026-12-29T12:00:00+04:00"

    told = notices_of(app, late_lease["applicant"]["id"], "breach_explained")
    assert sorted(channel for channel, *_ in told) == sorted(
        [Channel.EMAIL, Channel.SMS, Channel.IN_APP]
    )
    for channel, language, title, body, subject_id in told:
        assert language == "ar" and subject_id == reference
        assert title == f"تأخر الطلب {reference} عن موعده"
        if channel == Channel.SMS:
            assert body.startswith(f"بلدية: تأخر الطلب {reference}. السبب: {WHY_AR}")
        else:
            assert f"السبب: {WHY_AR}" in body and f"ما نقوم به: {WHAT_AR}" in body
            assert WHY_EN not in body

    inbox = client.get("/api/v1/notifications", headers=late_lease["applicant_h"]).get_json()
    assert [n["title"] for n in inbox if n["event"] == "breach_explained"] == [
        f"تأخر الطلب {reference} عن موعده"
    ]
    timeline = client.get(
        f"/api/v1/applications/{app_id}", headers=late_lease["applicant_h"]
    ).get_json()["timeline"]
    assert timeline[-1]["action"] == "explain_breach"
    assert (timeline[-1]["from_state"], timeline[-1]["to_state"]) == ("in_review", "in_review")
    assert timeline[-1]["note"] == WHY_AR and timeline[-1]["actor_role"] == "inspector"
    with app.app_context():
        [audited] = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "breach.explained")
        ).all()
        assert (audited.subject_type, audited.subject_id) == ("application", reference)
        assert audited.after["languages"] == ["ar", "en"]
        assert audited.after["due_date"] == "2026-12-28"


def test_the_applicant_reads_their_language_and_staff_read_both(app, client, clock, late_lease):
    clock.set(2026, 12, 29, 12)
    app_id = late_lease["id"]
    assert explain(client, late_lease["inspector_h"], app_id, **BOTH).status_code == 201

    [mine] = explanations(client, late_lease["applicant_h"], app_id)
    assert mine["reason_ar"] == WHY_AR and mine["remedy_ar"] == WHAT_AR
    assert not {"reason_en", "remedy_en", "author_role"} & set(mine)
    [staff] = explanations(client, late_lease["head_h"], app_id)
    assert (staff["reason_en"], staff["remedy_en"]) == (WHY_EN, WHAT_EN)
    assert (staff["reason_ar"], staff["author_role"]) == (WHY_AR, "inspector")

    _, stranger = applicant_headers(client)
    assert (
        client.get(
            f"/api/v1/applications/{app_id}/breach-explanations", headers=stranger
        ).status_code
        == 404
    )
    _, elsewhere = staff_headers(app, client, "department_head", "ABG")
    assert (
        client.get(
            f"/api/v1/applications/{app_id}/breach-explanations", headers=elsewhere
        ).status_code
        == 404
    )


def test_the_applicants_language_is_required_and_the_other_is_both_or_neither(
    app, client, clock, late_lease
):
    clock.set(2026, 12, 29, 12)
    app_id, inspector = late_lease["id"], late_lease["inspector_h"]
    english_only = explain(client, inspector, app_id, reason_en=WHY_EN, remedy_en=WHAT_EN)
    assert english_only.status_code == 422
    assert {e["field"] for e in english_only.get_json()["errors"]} == {"reason_ar", "remedy_ar"}
    half = explain(client, inspector, app_id, reason_ar=WHY_AR, remedy_ar=WHAT_AR, reason_en=WHY_EN)
    assert half.status_code == 422
    assert [e["field"] for e in half.get_json()["errors"]] == ["remedy_en"]
    arabic = explain(client, inspector, app_id, reason_ar=WHY_AR, remedy_ar=WHAT_AR)
    assert arabic.status_code == 201, arabic.get_json()
    assert arabic.get_json()["reason_en"] is None
    with app.app_context():
        told = notices_of(app, late_lease["applicant"]["id"], "breach_explained")
    assert len(told) == 3  # once, for the one that was recorded


def test_only_the_staff_answering_for_the_application_may_explain(app, client, clock, late_lease):
    clock.set(2026, 12, 29, 12)
    app_id = late_lease["id"]
    _, other_inspector = staff_headers(app, client, "inspector", "NBG")
    _, health_head = staff_headers(app, client, "department_head", "NBG", department="health")
    _, elsewhere = staff_headers(app, client, "admin", "ABG")
    _, admin = staff_headers(app, client, "admin", "NBG")
    for headers, status in (
        (other_inspector, 403),  # not its assignee
        (health_head, 403),  # head of another department
        (late_lease["applicant_h"], 403),
        (elsewhere, 404),  # another authority: not even that it exists
    ):
        response = explain(client, headers, app_id, **BOTH)
        assert response.status_code == status, response.get_json()
    assert explanations(client, late_lease["head_h"], app_id) == []

    for headers in (late_lease["head_h"], admin, late_lease["inspector_h"]):
        assert explain(client, headers, app_id, **BOTH).status_code == 201
    roles = [e["author_role"] for e in explanations(client, admin, app_id)]
    assert roles == ["department_head", "admin", "inspector"]


def test_managers_list_their_authoritys_explanations_by_date(app, client, clock, late_lease):
    clock.set(2026, 12, 29, 12)
    assert explain(client, late_lease["inspector_h"], late_lease["id"], **BOTH).status_code == 201
    clock.set(2026, 12, 31, 9)
    assert explain(client, late_lease["head_h"], late_lease["id"], **BOTH).status_code == 201

    def listed(headers, **query):
        response = client.get("/api/v1/breach-explanations", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [(e["reference"], e["created_at"][:10]) for e in response.get_json()]

    reference = late_lease["reference"]
    head = late_lease["head_h"]
    assert listed(head) == [(reference, "2026-12-29"), (reference, "2026-12-31")]
    assert listed(head, **{"from": "2026-12-30", "to": "2026-12-31"}) == [(reference, "2026-12-31")]
    assert listed(head, **{"from": "2026-12-01", "to": "2026-12-28"}) == []
    _, elsewhere = staff_headers(app, client, "admin", "ABG")
    assert listed(elsewhere) == []
    backwards = client.get(
        "/api/v1/breach-explanations",
        query_string={"from": "2026-12-31", "to": "2026-12-30"},
        headers=head,
    )
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.get_json()["errors"]] == ["to"]
