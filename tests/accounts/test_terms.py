"""Terms of use and privacy notice: accepted at registration with proof; a new version stops the
applicant's next write until accepted; reading, signing out and correcting details go on."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.terms_models import TermsAcceptance
from app.extensions import db
from tests.factories import applicant_data, applicant_headers, staff_headers
from tests.licensing.helpers import LEASE

NEW_TEXTS = {
    "terms_ar": "شروط الاستخدام، الإصدار الثاني",
    "terms_en": "Terms of use, second version",
    "privacy_ar": "إشعار الخصوصية، الإصدار الثاني",
    "privacy_en": "Privacy notice, second version",
    "summary_en": "Marketing SMS now need consent",
}
EN = {"Accept-Language": "en"}


def test_the_current_terms_are_public_in_both_languages(client):
    answer = client.get("/api/v1/terms")
    assert answer.status_code == 200
    versions = answer.get_json()
    assert [(v["authority"], v["version"]) for v in versions] == [
        ("NBG", 1),
        ("ABG", 1),
        ("MEM", 1),
    ]
    nbg = versions[0]
    assert "شمال الباطنة" in nbg["terms_ar"] and "North Al Batinah" in nbg["terms_en"]
    assert "only the address, the date and the time" in nbg["privacy_en"]
    one = client.get("/api/v1/terms?authority=abg").get_json()
    assert [v["authority"] for v in one] == ["ABG"]
    assert client.get("/api/v1/terms?authority=XYZ").status_code == 404


def test_registration_records_acceptance_of_every_current_version_with_proof(app, client):
    user, headers = applicant_headers(client)
    mine = client.get("/api/v1/me/terms", headers=headers).get_json()
    assert mine["pending"] == []
    assert sorted(a["authority"] for a in mine["accepted"]) == ["ABG", "MEM", "NBG"]
    assert {a["how"] for a in mine["accepted"]} == {"registration"}
    with app.app_context():
        rows = db.session.scalars(
            sa.select(TermsAcceptance).where(TermsAcceptance.user_id == user["id"])
        ).all()
        assert len(rows) == 3
        assert all(r.address == "127.0.0.1" and r.accepted_at is not None for r in rows)


def test_registration_refuses_terms_not_accepted(client):
    answer = client.post(
        "/api/v1/auth/register", json={**applicant_data(), "accept_terms": False}, headers=EN
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["accept_terms"]


def test_a_new_version_stops_the_next_write_until_accepted(app, client):
    _user, headers = applicant_headers(client)
    _other, other = applicant_headers(client)
    assert client.post("/api/v1/leases", json=LEASE, headers=headers).status_code == 201
    _admin, admin = staff_headers(app, client, "admin")
    published = client.post("/api/v1/terms", json=NEW_TEXTS, headers=admin)
    assert published.status_code == 201
    assert published.get_json()["version"] == 2

    refused = client.post("/api/v1/leases", json=LEASE, headers={**headers, **EN})
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["code"] == "terms_not_accepted"
    assert body["pending"] == [{"id": published.get_json()["id"], "authority": "NBG", "version": 2}]
    assert "accept" in body["detail"]
    # reading, correcting one's details and signing out go on
    assert client.get("/api/v1/applications", headers=headers).status_code == 200
    assert (
        client.patch("/api/v1/me", json={"preferred_language": "ar"}, headers=headers).status_code
        == 200
    )
    mine = client.get("/api/v1/me/terms", headers=headers).get_json()
    assert [(v["authority"], v["version"]) for v in mine["pending"]] == [("NBG", 2)]
    # staff are not asked
    _inspector, staff = staff_headers(app, client, "inspector")
    assert client.post("/api/v1/leases", json=LEASE, headers=staff).status_code == 403  # role
    accepted = client.post("/api/v1/me/terms", json={}, headers=headers)
    assert accepted.status_code == 201
    assert [(a["authority"], a["version"], a["how"]) for a in accepted.get_json()] == [
        ("NBG", 2, "asked")
    ]
    assert client.post("/api/v1/leases", json=LEASE, headers=headers).status_code == 201
    assert client.get("/api/v1/me/terms", headers=headers).get_json()["pending"] == []
    # one applicant's acceptance is theirs alone
    assert client.post("/api/v1/leases", json=LEASE, headers=other).status_code == 403


def test_only_a_current_version_can_be_accepted(app, client):
    _user, headers = applicant_headers(client)
    old = client.get("/api/v1/terms?authority=NBG").get_json()[0]["id"]
    _admin, admin = staff_headers(app, client, "admin")
    client.post("/api/v1/terms", json=NEW_TEXTS, headers=admin)
    stale = client.post("/api/v1/me/terms", json={"terms_version_ids": [old]}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["code"] == "not_current"
    history = client.get("/api/v1/terms/NBG/versions").get_json()
    assert [(v["version"], v["is_current"]) for v in history] == [(2, True), (1, False)]


def test_only_an_admin_publishes_and_for_their_own_authority(app, client):
    _head, head = staff_headers(app, client, "department_head")
    assert client.post("/api/v1/terms", json=NEW_TEXTS, headers=head).status_code == 403
    _admin, abg_admin = staff_headers(app, client, "admin", authority="ABG")
    made = client.post("/api/v1/terms", json=NEW_TEXTS, headers=abg_admin).get_json()
    assert made["authority"] == "ABG" and made["version"] == 2
    assert client.get("/api/v1/terms?authority=NBG").get_json()[0]["version"] == 1
    missing = client.post("/api/v1/terms", json={"terms_ar": "x"}, headers={**abg_admin, **EN})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.get_json()["errors"]} == {
        "terms_en",
        "privacy_ar",
        "privacy_en",
    }
