"""Maintenance windows: announced publicly; writes refused with 503 while one is on."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.timeutil import utcnow
from tests.factories import PASSWORD, applicant_data, applicant_headers, staff_headers


def _window(minutes_from_now=-1, hours=1, **extra):
    start = utcnow() + timedelta(minutes=minutes_from_now)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "message_ar": "المنصة تحت الصيانة حتى الساعة الرابعة فجرًا.",
        "message_en": "The platform is under maintenance until 04:00.",
        **extra,
    }


def test_a_window_for_all_refuses_writes_keeps_reads_and_logins(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG")
    user, headers = applicant_headers(client)
    announced = client.post(
        "/api/v1/announcements", json=_window(all_authorities=True), headers=admin
    )
    assert announced.status_code == 201 and announced.get_json()["authority"] is None

    refused = client.post(
        "/api/v1/auth/register", json=applicant_data(), headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "maintenance"
    assert refused.get_json()["detail"] == "The platform is under maintenance until 04:00."
    assert 3500 < int(refused.headers["Retry-After"]) <= 3601
    arabic = client.patch("/api/v1/me", json={"preferred_language": "ar"}, headers=headers)
    assert arabic.status_code == 503
    assert arabic.get_json()["detail"] == "المنصة تحت الصيانة حتى الساعة الرابعة فجرًا."

    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
        ).status_code
        == 200
    )

    window_id = announced.get_json()["id"]
    assert client.delete(f"/api/v1/announcements/{window_id}", headers=admin).status_code == 204
    assert client.post("/api/v1/auth/register", json=applicant_data()).status_code == 201


def test_a_window_for_one_authority_stops_only_its_staff(app, client):
    _, nbg_admin = staff_headers(app, client, "admin", "NBG")
    _, abg_admin = staff_headers(app, client, "admin", "ABG")
    assert (
        client.post("/api/v1/announcements", json=_window(), headers=nbg_admin).status_code == 201
    )
    new_staff = applicant_data(role="inspector", department="licensing")
    new_staff.pop("preferred_language")
    assert client.post("/api/v1/staff", json=new_staff, headers=nbg_admin).status_code == 503
    assert client.post("/api/v1/staff", json=new_staff, headers=abg_admin).status_code == 201
    assert client.post("/api/v1/auth/register", json=applicant_data()).status_code == 201


def test_announcements_list_current_and_coming_windows_publicly(app, client):
    _, admin = staff_headers(app, client, "admin", "ABG")
    client.post("/api/v1/announcements", json=_window(minutes_from_now=60 * 24), headers=admin)
    client.post("/api/v1/announcements", json=_window(), headers=admin)
    listed = client.get("/api/v1/announcements")
    assert listed.status_code == 200
    windows = listed.get_json()
    assert len(windows) == 2
    assert [w["in_force"] for w in windows] == [True, False]
    assert windows[0]["authority"]["code"] == "ABG"
    assert windows[0]["starts_at"].endswith("+04:00")
    assert client.get("/api/v1/announcements?authority=NBG").get_json() == []
    assert len(client.get("/api/v1/announcements?authority=abg").get_json()) == 2


def test_a_window_must_end_after_it_starts_and_in_the_future(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG")
    backwards = _window(hours=-1)
    response = client.post(
        "/api/v1/announcements", json=backwards, headers={**admin, "Accept-Language": "en"}
    )
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "ends_at"
    past = _window(minutes_from_now=-180)
    assert client.post("/api/v1/announcements", json=past, headers=admin).status_code == 422
    naive = {**_window(), "starts_at": "2026-12-01T10:00:00"}
    assert client.post("/api/v1/announcements", json=naive, headers=admin).status_code == 422


def test_a_window_for_one_authority_stops_applicants_writes_on_its_records(app, client):
    from app.catalogue.seed import seed_catalogue
    from app.extensions import db
    from licensing.models import Document
    from tests.licensing.helpers import LEASE, upload

    with app.app_context():
        seed_catalogue()
        db.session.commit()
    _, admin = staff_headers(app, client, "admin", "NBG")
    _, applicant = applicant_headers(client)
    draft = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    assert client.post("/api/v1/announcements", json=_window(), headers=admin).status_code == 201
    refused = client.post("/api/v1/leases", json=LEASE, headers=applicant)
    assert refused.status_code == 503 and refused.get_json()["code"] == "maintenance"
    withdraw = client.post(
        f"/api/v1/applications/{draft['id']}/actions/withdraw", json={}, headers=applicant
    )
    assert withdraw.status_code == 503
    assert (
        client.get(f"/api/v1/applications/{draft['id']}", headers=applicant).get_json()["state"]
        == "draft"
    )
    # Every write that reaches one of the authority's records is stopped, not only the actions.
    document = upload(client, applicant, draft["id"], "lease_contract")
    assert document.status_code == 503 and document.get_json()["code"] == "maintenance"
    message = client.post(
        f"/api/v1/applications/{draft['id']}/messages", json={"body": "Hello"}, headers=applicant
    )
    assert message.status_code == 503
    assert (
        client.get(f"/api/v1/applications/{draft['id']}/documents", headers=applicant).status_code
        == 200
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
