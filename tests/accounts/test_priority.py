"""Priority applicants (the customer charter, seed 004): an applicant declares a category with a
document; a customer service head verifies it; their open applications are flagged for staff and
come first in the staff queue among those in the same SLA band; applicants never see the flag."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.catalogue.models import Service
from app.extensions import db
from app.notifications.models import Notification
from licensing.models import Application
from licensing.queue_bands import band_now, muscat_today
from licensing.services import create_application
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import PDF, put_in_state

DECLARATIONS = "/api/v1/priority-declarations"
QUEUE = "/api/v1/applications"


@pytest.fixture(autouse=True)
def documents_folder(app, tmp_path):
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")


@pytest.fixture
def people(app, client):
    applicant, applicant_h = applicant_headers(client)
    # Customer service of another authority than the queue's: a verification counts everywhere.
    verifier, verifier_h = staff_headers(
        app, client, "department_head", "ABG", department="customer_service"
    )
    _, licensing_head_h = staff_headers(app, client, "department_head", "NBG")
    inspector, inspector_h = staff_headers(app, client, "inspector", "NBG")
    return {
        "applicant": applicant,
        "applicant_h": applicant_h,
        "verifier": verifier,
        "verifier_h": verifier_h,
        "licensing_head_h": licensing_head_h,
        "inspector": inspector,
        "inspector_h": inspector_h,
    }


def _declare(client, headers, category="elderly", content=PDF, filename="id-card.pdf"):
    return client.post(
        DECLARATIONS,
        data={"category": category, "file": (io.BytesIO(content), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def _decide(client, headers, declaration_id, action, **body):
    """A decision, and the jobs after its commit (licensing flags the open applications on the
    published `applicant.priority_changed`)."""
    answer = client.post(
        f"{DECLARATIONS}/{declaration_id}/actions/{action}", json=body, headers=headers
    )
    assert client.application.extensions["jobs"].drain(30)
    return answer


def _lease(app, applicant_id: int, state: str, due: dt.date | None) -> int:
    """An NBG lease application of the applicant, straight in `state`, due on `due`."""
    with app.app_context(), uow.transaction():
        owner = db.session.get(User, applicant_id)
        service = db.session.scalar(sa.select(Service).where(Service.code == "NBG-LEASE-REGISTER"))
        application = create_application(owner, service, {})
        put_in_state(application.id, state)
        db.session.execute(
            sa.update(Application)
            .where(Application.id == application.id)
            .values(
                sla_due_date=due,
                queue_band=band_now(due, application.authority_id),  # as the app keeps them
                sla_started_at=None if due is None else dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            )
        )
        return application.id


def _priority_of(app, application_id: int) -> int:
    with app.app_context():
        return db.session.get(Application, application_id).priority


def test_a_declaration_is_verified_by_customer_service_and_flags_open_applications(
    app, client, people
):
    applicant_id = people["applicant"]["id"]
    open_one = _lease(app, applicant_id, "in_review", dt.date(2026, 12, 20))
    decided = _lease(app, applicant_id, "rejected", dt.date(2026, 12, 20))

    declared = _declare(client, people["applicant_h"])
    assert declared.status_code == 201, declared.get_json()
    body = declared.get_json()
    assert body["state"] == "pending" and body["category"] == "elderly"
    assert body["document"]["content_type"] == "application/pdf"
    assert _declare(client, people["applicant_h"], "disability").status_code == 409

    # Staff outside customer service neither see nor decide; another applicant sees nothing.
    assert client.get(DECLARATIONS, headers=people["licensing_head_h"]).get_json() == []
    assert _decide(client, people["licensing_head_h"], body["id"], "verify").status_code == 403
    _, stranger_h = applicant_headers(client)
    assert client.get(f"{DECLARATIONS}/{body['id']}", headers=stranger_h).status_code == 404
    assert (
        client.get(f"{DECLARATIONS}/{body['id']}/document", headers=stranger_h).status_code == 404
    )

    waiting = client.get(f"{DECLARATIONS}?state=pending", headers=people["verifier_h"])
    assert [d["id"] for d in waiting.get_json()] == [body["id"]]
    document = client.get(f"{DECLARATIONS}/{body['id']}/document", headers=people["verifier_h"])
    assert document.status_code == 200 and document.get_data() == PDF

    verified = _decide(client, people["verifier_h"], body["id"], "verify")
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["state"] == "verified"
    assert verified.get_json()["decided_by"]["id"] == people["verifier"]["id"]
    assert _decide(client, people["verifier_h"], body["id"], "verify").status_code == 409

    assert _priority_of(app, open_one) == 1 and _priority_of(app, decided) == 0
    made_after = _lease(app, applicant_id, "submitted", None)
    assert _priority_of(app, made_after) == 1

    with app.app_context():
        told = db.session.scalars(
            sa.select(Notification.channel).where(
                Notification.user_id == applicant_id, Notification.event == "priority_decided"
            )
        ).all()
        audit = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.subject_type == "priority_declaration")
        ).all()
    assert sorted(told) == ["email", "in_app", "sms"]
    with app.app_context():
        title = db.session.scalar(
            sa.select(Notification.title).where(
                Notification.user_id == applicant_id, Notification.channel == "in_app"
            )
        )
    assert title == "Your priority category is verified"  # the applicant's language, English
    assert [(a.action, a.actor_id) for a in audit] == [
        ("priority_declaration.declared", applicant_id),
        ("priority_declaration.verify", people["verifier"]["id"]),
    ]


def test_refusing_needs_a_reason_and_revoking_takes_the_flag_back(app, client, people):
    applicant_id = people["applicant"]["id"]
    first = _declare(client, people["applicant_h"], "disability").get_json()
    assert _decide(client, people["verifier_h"], first["id"], "refuse").status_code == 422
    refused = _decide(client, people["verifier_h"], first["id"], "refuse", reason="Unreadable")
    assert refused.get_json()["state"] == "refused"
    assert refused.get_json()["reason"] == "Unreadable"

    second = _declare(client, people["applicant_h"], "disability").get_json()  # may try again
    assert _decide(client, people["verifier_h"], second["id"], "verify").status_code == 200
    open_one = _lease(app, applicant_id, "in_review", dt.date(2026, 12, 20))
    assert _priority_of(app, open_one) == 1
    revoked = _decide(client, people["verifier_h"], second["id"], "revoke", reason="Expired card")
    assert revoked.get_json()["state"] == "revoked"
    assert _priority_of(app, open_one) == 0
    mine = client.get(DECLARATIONS, headers=people["applicant_h"]).get_json()
    assert [(d["id"], d["state"]) for d in mine] == [
        (second["id"], "revoked"),
        (first["id"], "refused"),
    ]


def test_a_declaration_takes_only_a_pdf_jpeg_or_png_and_a_known_category(client, people):
    assert _declare(client, people["applicant_h"], content=b"MZ\x90\x00").status_code == 415
    assert _declare(client, people["applicant_h"], category="vip").status_code == 422


def test_priority_comes_first_at_equal_sla_state_and_only_staff_see_the_flag(app, client, people):
    """The answer key: by SLA band (breached, at risk, on track, no due date); in a band a
    priority applicant's first, even due later; then by due date, then oldest first."""
    ordinary_id = applicant_headers(client)[0]["id"]
    priority_id = people["applicant"]["id"]
    declaration = _declare(client, people["applicant_h"]).get_json()
    _decide(client, people["verifier_h"], declaration["id"], "verify")
    today = muscat_today()
    days = dt.timedelta
    made = {
        "ordinary, breached 3 days ago": _lease(app, ordinary_id, "in_review", today - days(3)),
        "ordinary, on track, due in 10 days": _lease(
            app, ordinary_id, "in_review", today + days(10)
        ),
        "priority, on track, due in 20 days": _lease(
            app, priority_id, "in_review", today + days(20)
        ),
        "ordinary, at risk, due today": _lease(app, ordinary_id, "in_review", today),
        "priority, breached yesterday": _lease(app, priority_id, "in_review", today - days(1)),
        "ordinary, on track, due in 12 days": _lease(
            app, ordinary_id, "in_review", today + days(12)
        ),
        "priority, at risk, due today": _lease(app, priority_id, "in_review", today),
        "priority, on track, due in 12 days": _lease(
            app, priority_id, "in_review", today + days(12)
        ),
        "ordinary, on track, due in 12 days, later": _lease(
            app, ordinary_id, "in_review", today + days(12)
        ),
        "priority, no due date": _lease(app, priority_id, "draft", None),
        "ordinary, no due date": _lease(app, ordinary_id, "draft", None),
    }
    names = {n: label for label, n in made.items()}
    expected = [
        "priority, breached yesterday",
        "ordinary, breached 3 days ago",
        "priority, at risk, due today",
        "ordinary, at risk, due today",
        "priority, on track, due in 12 days",
        "priority, on track, due in 20 days",
        "ordinary, on track, due in 10 days",
        "ordinary, on track, due in 12 days",
        "ordinary, on track, due in 12 days, later",
        "priority, no due date",
        "ordinary, no due date",
    ]
    answer = client.get(f"{QUEUE}?page_size=100", headers=people["inspector_h"])
    shown = [item for item in answer.get_json() if item["id"] in names]
    assert [names[item["id"]] for item in shown] == expected
    assert {names[i["id"]]: i["priority"] for i in shown} == {
        label: label.startswith("priority") for label in expected
    }
    # The filters by SLA state keep the order inside their band.
    breached = client.get(
        f"{QUEUE}?sla_state=breached&page_size=100", headers=people["inspector_h"]
    )
    assert [names[i["id"]] for i in breached.get_json() if i["id"] in names] == expected[:2]
    at_risk = client.get(f"{QUEUE}?sla_state=at_risk&page_size=100", headers=people["inspector_h"])
    assert [names[i["id"]] for i in at_risk.get_json() if i["id"] in names] == expected[2:4]
    # The same order page by page through cursors (the key's columns in the cursor), also through
    # the last band, whose due dates are NULL.
    seen, url = [], f"{QUEUE}?page_size=2"
    while url:
        page = client.get(url, headers=people["inspector_h"])
        seen += [names[i["id"]] for i in page.get_json() if i["id"] in names]
        link = page.headers.get("Link")
        url = link and link[1 : link.index(">")]
    assert seen == expected
    one = client.get(
        f"{QUEUE}/{made['priority, at risk, due today']}", headers=people["inspector_h"]
    )
    assert one.get_json()["priority"] is True

    own = client.get(QUEUE, headers=people["applicant_h"]).get_json()
    assert own and all("priority" not in item for item in own)
    alone = client.get(
        f"{QUEUE}/{made['priority, at risk, due today']}", headers=people["applicant_h"]
    )
    assert "priority" not in alone.get_json()
