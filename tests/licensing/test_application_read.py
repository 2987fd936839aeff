"""`GET /api/v1/applications/{id}`, the hot read (licensing.detail): the same JSON, byte for byte,
as `ApplicationDetailSchema` dumps from the ORM objects, for records of every shape; one record's
answer written out in full; two statements, whatever the record holds."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import jsonify

from app.accounts.models import User
from app.catalogue.models import Service
from app.extensions import db
from licensing.models import Application, ApplicationEvent
from licensing.queue_bands import band_now
from licensing.schemas import ApplicationDetailSchema
from licensing.services import create_application, create_generic_application
from tests.clock import Clock
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import dumping_as, put_in_state
from tests.licensing.test_workflows import _a_licence  # a licence row, no workflow
from tests.statements import statements

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 17, 5, 0, tzinfo=UTC)  # Thursday 09:00 in Muscat
LEASE_DETAILS = {
    "landlord_name": "سعيد العامري",
    "property_reference": "SOH-PLOT-1123",
    "monthly_rent": 350000,  # baisa, shown "350.000"
    "start_date": "2026-12-01",
}


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(monkeypatch)
    clock.stop_at(NOW)
    return clock


@pytest.fixture
def people(app, client):
    applicant, applicant_h = applicant_headers(client)
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    return {
        "applicant_email": applicant["email"],
        "applicant_h": applicant_h,
        "inspector": inspector["id"],
        "inspector_h": inspector_h,
    }


def _owner(people) -> User:
    return db.session.scalar(sa.select(User).where(User.email == people["applicant_email"]))


def _service(code: str) -> Service:
    return db.session.scalar(sa.select(Service).where(Service.code == code))


def _set(application: Application, **values) -> None:
    """Columns written straight, as they are; a due date with its queue band, as the app keeps
    them (licensing.queue_bands)."""
    if "sla_due_date" in values and "queue_band" not in values:
        values["queue_band"] = band_now(values["sla_due_date"], application.authority_id)
    db.session.execute(
        sa.update(Application).where(Application.id == application.id).values(**values)
    )


def _event(application, action, source, target, note=None, role="inspector", at=None):
    db.session.add(
        ApplicationEvent(
            application_id=application.id,
            actor_role=role,
            action=action,
            from_state=source,
            to_state=target,
            note=note,
            at=at or NOW,
        )
    )


def _lease(owner: User, state: str, **columns) -> Application:
    """A lease application put straight into `state`, with `columns` written as they are."""
    application = create_application(owner, _service("NBG-LEASE-REGISTER"), dict(LEASE_DETAILS))
    put_in_state(application.id, state)
    _set(application, **columns)
    return application


def _records(owner: User, inspector_id: int) -> dict[str, int]:
    """Applications of every shape the answer has, by name: their ids."""
    made = {}

    draft = create_generic_application(
        owner, "NBG-COMPLAINT", {"purpose": 'ضوضاء <b>ليلاً</b> "quoted"', "count": 3}
    )
    made["draft, free-form details, no fee"] = draft

    review = _lease(
        owner,
        "in_review",
        assignee_id=inspector_id,
        submitted_at=NOW - dt.timedelta(days=2),
        sla_started_at=NOW - dt.timedelta(days=2, hours=3),
        sla_due_date=dt.date(2026, 12, 24),
    )
    _event(review, "submit", "draft", "submitted", role="applicant")
    _event(review, "start_review", "submitted", "in_review", note="Looking at it: سنراجع")
    made["in review, assigned, timeline with notes"] = review

    paused = _lease(
        owner,
        "info_requested",
        sla_started_at=NOW - dt.timedelta(days=9),
        sla_paused_at=NOW - dt.timedelta(days=3),
        sla_paused_days=2,
    )
    _event(paused, "request_info", "in_review", "info_requested", note="Send the deed")
    made["paused for information"] = paused

    breached = _lease(
        owner,
        "inspection_scheduled",
        sla_started_at=NOW - dt.timedelta(days=40),
        inspection_date=dt.date(2026, 12, 20),
    )
    made["breached, inspection scheduled"] = breached

    rejected = _lease(
        owner,
        "rejected",
        rejection_reason_ar="المستندات غير مكتملة",
        rejection_reason_en="The documents are incomplete.",
        sla_started_at=NOW - dt.timedelta(days=6),
        sla_stopped_at=NOW - dt.timedelta(days=1),
        decided_at=NOW - dt.timedelta(days=1),
    )
    _event(rejected, "reject", "in_review", "rejected", note="Incomplete")
    made["rejected, clock stopped"] = rejected

    issued = _lease(
        owner,
        "issued",
        assignee_id=inspector_id,
        sla_started_at=NOW - dt.timedelta(days=5),
        sla_stopped_at=NOW,
    )
    _set(issued, licence_id=_a_licence(issued, "active").id)
    _event(issued, "issue", "approved", "issued", role="department_head")
    made["issued, with its licence"] = issued

    # Issue 15: a target in working minutes, paused once; and a service with no target.
    minutes = _lease(
        owner,
        "in_review",
        sla_unit="working_minutes",
        sla_target_days=0,
        sla_target_minutes=240,
        sla_paused_minutes=35,
        sla_started_at=NOW - dt.timedelta(days=1, hours=2),
    )
    made["target in working minutes"] = minutes
    no_target = _lease(
        owner,
        "info_requested",
        sla_unit="none",
        sla_target_days=0,
        sla_started_at=NOW - dt.timedelta(days=12),
        sla_paused_at=NOW - dt.timedelta(days=1),
    )
    made["no target, paused"] = no_target

    bare = create_application(owner, _service("NBG-LEASE-REGISTER"), {})
    db.session.execute(
        sa.delete(ApplicationEvent).where(ApplicationEvent.application_id == bare.id)
    )
    _set(bare, required_documents=[], details={})
    made["no timeline, no documents asked"] = bare
    db.session.commit()
    return {name: application.id for name, application in made.items()}


def _schema_json(application_id: int, viewer_id: int | None = None) -> bytes:
    """What the route answered before the hot read: the schema's dump of the ORM objects, as
    `viewer_id` sees it (staff see the staff-only fields)."""
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    dumping_as(viewer_id)
    return jsonify(ApplicationDetailSchema().dump(application)).get_data()


def test_the_answer_is_the_schemas_byte_for_byte_for_every_shape_of_record(
    app, client, clock, people
):
    with app.app_context():
        owner = _owner(people)
        ids = _records(owner, people["inspector"])
        viewers = {"applicant_h": owner.id, "inspector_h": people["inspector"]}
    for name, application_id in ids.items():
        for who in ("applicant_h", "inspector_h"):
            answer = client.get(f"/api/v1/applications/{application_id}", headers=people[who])
            assert answer.status_code == 200, (name, who)
            assert ("priority" in answer.get_json()) == (who == "inspector_h")
            with app.app_context():
                expected = _schema_json(application_id, viewers[who])
            assert answer.get_data() == expected, (name, who)
            assert answer.mimetype == "application/json"


def test_one_application_written_out_in_full(app, client, clock, people):
    with app.app_context():
        owner = _owner(people)
        ids = _records(owner, people["inspector"])
        review_id = ids["in review, assigned, timeline with notes"]
        review = db.session.get(Application, review_id)
        reference = review.reference
        owner_id, owner_name = owner.id, owner.name
        inspector_name = db.session.get(User, people["inspector"]).name
    body = client.get(f"/api/v1/applications/{review_id}", headers=people["applicant_h"]).get_json()
    assert body == {
        "id": review_id,
        "reference": reference,
        "authority": {
            "code": "NBG",
            "name_ar": "محافظة شمال الباطنة",
            "name_en": "North Al Batinah Governorate",
        },
        "service": {
            "code": "NBG-LEASE-REGISTER",
            "name_ar": "تسجيل عقد إيجار",
            "name_en": "Lease Contract Registration",
        },
        "family": "lease",
        "action": "register",
        "state": "in_review",
        "details": {
            "landlord_name": "سعيد العامري",
            "property_reference": "SOH-PLOT-1123",
            "monthly_rent": "350.000",
            "start_date": "2026-12-01",
        },
        "fee": "3.000",
        "required_documents": [
            {
                "code": "civil_id_copy",
                "name_ar": "نسخة من البطاقة الشخصية",
                "name_en": "Copy of civil ID card",
                "mandatory": True,
            },
            {
                "code": "lease_contract",
                "name_ar": "عقد الإيجار موقعاً من الطرفين",
                "name_en": "Lease contract signed by both parties",
                "mandatory": True,
            },
            {
                "code": "title_deed",
                "name_ar": "نسخة من سند الملكية",
                "name_en": "Copy of the title deed",
                "mandatory": True,
            },
        ],
        "licence_number": None,
        "inspection_date": None,
        "rejection_reason_ar": None,
        "rejection_reason_en": None,
        "applicant": {"id": owner_id, "name": owner_name},
        "assignee": {"id": people["inspector"], "name": inspector_name},
        "submitted_at": "2026-12-15T09:00:00+04:00",
        "created_at": "2026-12-17T09:00:00+04:00",
        "sla": {
            # Started Tuesday 15, 06:00 Muscat; day 1 Wed 16, day 2 today (Thu 17), Fri and Sat off,
            # day 7 Thu 24.
            "target_days": 7,
            "started_at": "2026-12-15T06:00:00+04:00",
            "due_date": "2026-12-24",
            "working_days_used": 2,
            "working_days_left": 5,
            "paused": False,
            "state": "on_track",
            "unit": "working_days",
            "target_minutes": None,
            "due_at": None,
            "working_minutes_used": None,
            "working_minutes_left": None,
        },
        "timeline": [
            {
                "at": "2026-12-17T09:00:00+04:00",
                "action": "create",
                "actor_role": "applicant",
                "from_state": "draft",
                "to_state": "draft",
                "note": None,
            },
            {
                "at": "2026-12-17T09:00:00+04:00",
                "action": "submit",
                "actor_role": "applicant",
                "from_state": "draft",
                "to_state": "submitted",
                "note": None,
            },
            {
                "at": "2026-12-17T09:00:00+04:00",
                "action": "start_review",
                "actor_role": "inspector",
                "from_state": "submitted",
                "to_state": "in_review",
                "note": "Looking at it: سنراجع",
            },
        ],
    }
    assert list(body) == [
        "id",
        "reference",
        "authority",
        "service",
        "family",
        "action",
        "state",
        "details",
        "fee",
        "required_documents",
        "licence_number",
        "inspection_date",
        "rejection_reason_ar",
        "rejection_reason_en",
        "applicant",
        "assignee",
        "submitted_at",
        "created_at",
        "sla",
        "timeline",
    ]


def test_two_statements_whatever_the_record_holds(app, client, clock, people):
    """The caller's session with its user, then the application with all it shows: a lazy load
    or a calendar read that comes back is one statement more."""
    with app.app_context():
        owner = _owner(people)
        ids = _records(owner, people["inspector"])
    # The first read of the calendar in this process builds it (the overrides read): not counted.
    client.get(
        f"/api/v1/applications/{ids['rejected, clock stopped']}", headers=people["applicant_h"]
    )
    for name, application_id in ids.items():
        for who in ("applicant_h", "inspector_h"):
            with statements(app) as sent:
                answer = client.get(f"/api/v1/applications/{application_id}", headers=people[who])
            assert answer.status_code == 200
            assert len(sent) == 2, f"{name}, {who}:\n{sent.text()}"
            assert sent.touching("auth_sessions") == sent[:1], sent.text()
            assert sent.touching("applications") == sent[1:], sent.text()


def test_someone_elses_application_is_404_as_before(app, client, clock, people):
    with app.app_context():
        owner = _owner(people)
        ids = _records(owner, people["inspector"])
    application_id = ids["in review, assigned, timeline with notes"]
    _, stranger = applicant_headers(client)
    _, elsewhere = staff_headers(app, client, "inspector", "ABG")
    for headers in (stranger, elsewhere):
        answer = client.get(f"/api/v1/applications/{application_id}", headers=headers)
        assert answer.status_code == 404
        assert answer.get_json()["code"] == "not_found"
    assert client.get("/api/v1/applications/999999", headers=stranger).status_code == 404
