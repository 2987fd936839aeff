"""Every (state, action, role) through the API: allowed ones (by the answer key of
`test_workflows`) succeed, all others are refused and change nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from app.timeutil import utcnow
from licensing.lifecycle import State
from licensing.models import Application, ApplicationEvent
from licensing.schemas import ACTIONS
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, put_in_state, upload_mandatory
from tests.licensing.test_workflows import APPLICATION_KEY

ROLES = ("applicant", "inspector", "finance", "department_head", "admin")
BODY = {
    "note": "Checked",
    "reason_ar": "غير مطابق",
    "reason_en": "Does not conform",
    "inspection_date": "2030-01-06",
}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_every_state_action_and_role(app, client):
    owner, owner_h = applicant_headers(client)
    headers = {"applicant": owner_h}
    for role in ROLES[1:]:
        headers[role] = staff_headers(app, client, role, "NBG")[1]

    def application_in(state: State) -> int:
        created = client.post("/api/v1/leases", json=LEASE, headers=owner_h).get_json()
        upload_mandatory(app, client, owner_h, created["id"])
        with app.app_context():
            application = db.session.get(Application, created["id"])
            put_in_state(application.id, state)  # test set-up: straight into the state under test
            if state not in (State.DRAFT, State.PAYMENT_PENDING):
                application.sla_started_at = utcnow()
            if state == State.INFO_REQUESTED:
                application.sla_paused_at = utcnow()
            db.session.commit()
        return created["id"]

    checked = allowed_seen = 0
    for state in State:
        shared = application_in(state)  # refusals leave it as it is, so one serves them all
        for action in ACTIONS:
            sources, rule_target, roles, _ = APPLICATION_KEY[action]  # the key, not the code
            for role in ROLES:
                allowed = state in sources and role in roles
                target = application_in(state) if allowed else shared
                with app.app_context():
                    before = (_count(ApplicationEvent), _count(AuditEntry))
                response = act(client, headers[role], target, action, **BODY)
                with app.app_context():
                    after_state = db.session.get(Application, target).state
                    after = (_count(ApplicationEvent), _count(AuditEntry))
                where = f"{state} {action} {role}: {response.status_code} {response.get_json()}"
                checked += 1
                if allowed:
                    allowed_seen += 1
                    assert response.status_code == 200, where
                    # A lease has a fee: its submission is followed at once by the system's
                    # request for payment (draft → submitted → payment_pending), two timeline steps.
                    fee_step = action == "submit"
                    expected = State.PAYMENT_PENDING if fee_step else rule_target
                    assert after_state == expected, where
                    assert after[0] == before[0] + 1 + fee_step, where
                else:
                    expected_status = 403 if role not in roles else 409
                    assert response.status_code == expected_status, where
                    assert response.mimetype == "application/problem+json"
                    assert after_state == state and after == before, where
    assert checked == len(State) * len(ACTIONS) * len(ROLES)
    assert allowed_seen == sum(
        len(sources) * len(roles & set(ROLES))
        for action, (sources, _, roles, _) in APPLICATION_KEY.items()
        if action in ACTIONS
    )


def test_another_applicant_cannot_act_on_an_application(app, client):
    _, owner = applicant_headers(client)
    _, stranger = applicant_headers(client)
    created = client.post("/api/v1/leases", json=LEASE, headers=owner).get_json()
    assert act(client, stranger, created["id"], "withdraw").status_code == 404
    _, abg = staff_headers(app, client, "inspector", "ABG")
    assert act(client, abg, created["id"], "reject", **BODY).status_code == 404


def test_missing_fields_are_named_and_nothing_changes(app, client):
    _, owner = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    created = client.post("/api/v1/leases", json=LEASE, headers=owner).get_json()
    with app.app_context():
        put_in_state(created["id"], "in_review")
        db.session.commit()
    response = act(client, inspector, created["id"], "reject", reason_en="No")
    assert response.status_code == 422 and [e["field"] for e in response.get_json()["errors"]] == [
        "reason_ar"
    ]
    assert (
        client.get(f"/api/v1/applications/{created['id']}", headers=owner).get_json()["state"]
        == "in_review"
    )


def test_an_inspection_cannot_be_scheduled_in_the_past(app, client):
    _, owner = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    created = client.post("/api/v1/leases", json=LEASE, headers=owner).get_json()
    with app.app_context():
        put_in_state(created["id"], "in_review")
        db.session.commit()
    response = act(
        client, inspector, created["id"], "schedule_inspection", inspection_date="2020-01-05"
    )
    assert (
        response.status_code == 422
        and response.get_json()["errors"][0]["field"] == "inspection_date"
    )
