"""Staff propose FAQ entries, moderators publish and hide them; the public sees only what is
published, and the audit log keeps every step."""

from __future__ import annotations

import pytest

from tests.factories import applicant_headers, staff_headers
from tests.faq.helpers import EN, FAQ, audit_rows, entry_data, propose, published


@pytest.fixture
def nbg(app, client):
    """An NBG inspector (author), department head and admin (moderators)."""
    return {
        role: staff_headers(app, client, role, "NBG")[1]
        for role in ("inspector", "department_head", "admin")
    }


def public_ids(client, **params) -> list[int]:
    response = client.get(FAQ, query_string=params)
    assert response.status_code == 200
    return [e["id"] for e in response.get_json()]


def test_an_inspectors_draft_is_public_only_once_a_moderator_publishes_it(app, client, nbg):
    entry = propose(client, nbg["inspector"], source="SUG-2026-000042")
    assert entry["state"] == "pending" and entry["source"] == "SUG-2026-000042"
    assert entry["authority"]["code"] == "NBG"

    assert public_ids(client) == []
    assert client.get(f"{FAQ}/{entry['id']}").status_code == 404
    seen_by_staff = client.get(f"{FAQ}/{entry['id']}", headers=nbg["inspector"])
    assert seen_by_staff.status_code == 200 and seen_by_staff.get_json()["state"] == "pending"
    _, abg_admin = staff_headers(app, client, "admin", "ABG")
    assert client.get(f"{FAQ}/{entry['id']}", headers=abg_admin).status_code == 404

    refused = client.post(f"{FAQ}/{entry['id']}/publish", headers=nbg["inspector"])
    assert refused.status_code == 403
    assert client.post(f"{FAQ}/{entry['id']}/publish", headers=abg_admin).status_code == 404

    done = client.post(f"{FAQ}/{entry['id']}/publish", headers=nbg["department_head"])
    assert done.status_code == 200 and done.get_json()["state"] == "published"
    assert public_ids(client) == [entry["id"]]
    shown = client.get(f"{FAQ}/{entry['id']}").get_json()
    assert shown["question_en"] == "How do I renew a municipal licence?"
    assert shown["answer_ar"] == "قدّم طلب التجديد إلكترونيًا عبر البوابة قبل انتهاء الرخصة."
    again = client.post(f"{FAQ}/{entry['id']}/publish", headers=nbg["admin"])
    assert again.status_code == 409 and again.get_json()["code"] == "moderation_unchanged"

    actions = [row.action for row in audit_rows(app, "faq_entry", entry["id"])]
    assert actions == ["faq.proposed", "moderation.publish"]


def test_a_hidden_entry_vanishes_publicly_and_stays_in_the_audit_log(app, client, nbg):
    entry = published(client, nbg["inspector"], nbg["admin"], question_en="Where do I pay the fee?")
    no_reason = client.post(
        f"{FAQ}/{entry['id']}/hide", json={"reason": " "}, headers={**nbg["admin"], **EN}
    )
    assert no_reason.status_code == 422
    assert no_reason.get_json()["errors"][0]["detail"] == "Give the reason for hiding this content."
    arabic = client.post(f"{FAQ}/{entry['id']}/hide", json={"reason": ""}, headers=nbg["admin"])
    assert arabic.get_json()["errors"][0]["detail"] == "اذكر سبب إخفاء هذا المحتوى."

    hidden = client.post(
        f"{FAQ}/{entry['id']}/hide",
        json={"reason": "Not about our services"},
        headers=nbg["department_head"],
    )
    assert hidden.status_code == 200
    assert hidden.get_json()["state"] == "hidden"
    assert hidden.get_json()["moderation_reason"] == "Not about our services"
    assert public_ids(client) == []
    assert client.get(f"{FAQ}/{entry['id']}").status_code == 404
    staff_list = client.get(f"{FAQ}/moderation?state=hidden", headers=nbg["inspector"])
    assert [e["id"] for e in staff_list.get_json()] == [entry["id"]]

    rows = audit_rows(app, "faq_entry", entry["id"])
    assert [row.action for row in rows] == ["faq.proposed", "moderation.publish", "moderation.hide"]
    assert rows[0].after["question_en"] == "Where do I pay the fee?"  # the text, as it was
    assert rows[2].after == {"moderation_state": "hidden", "reason": "Not about our services"}

    restored = client.post(f"{FAQ}/{entry['id']}/publish", headers=nbg["admin"])
    assert restored.status_code == 200
    assert public_ids(client) == [entry["id"]]
    assert audit_rows(app, "faq_entry", entry["id"])[-1].action == "moderation.restore"


def test_an_edit_is_audited_before_and_after_and_inspectors_edit_drafts_only(app, client, nbg):
    entry = propose(client, nbg["inspector"], position=5)
    edited = client.patch(
        f"{FAQ}/{entry['id']}",
        json={"answer_en": "Renew it online.", "position": 2},
        headers=nbg["inspector"],
    )
    assert edited.status_code == 200
    assert edited.get_json()["answer_en"] == "Renew it online."
    row = audit_rows(app, "faq_entry", entry["id"])[-1]
    assert row.action == "faq.edited"
    assert row.before["answer_en"] == (
        "Apply for the renewal online through the portal before the licence expires."
    )
    assert row.before["position"] == 5
    assert row.after["answer_en"] == "Renew it online." and row.after["position"] == 2

    client.post(f"{FAQ}/{entry['id']}/publish", headers=nbg["admin"])
    refused = client.patch(
        f"{FAQ}/{entry['id']}", json={"answer_en": "Changed."}, headers={**nbg["inspector"], **EN}
    )
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == (
        "An inspector may change a draft only; ask a moderator to change this entry."
    )
    by_head = client.patch(
        f"{FAQ}/{entry['id']}", json={"answer_en": "Changed."}, headers=nbg["department_head"]
    )
    assert by_head.status_code == 200 and by_head.get_json()["state"] == "published"
    assert client.get(f"{FAQ}/{entry['id']}").get_json()["answer_en"] == "Changed."


def test_staff_of_another_authority_cannot_touch_an_entry(app, client, nbg):
    entry = published(client, nbg["inspector"], nbg["admin"])
    _, abg_admin = staff_headers(app, client, "admin", "ABG")
    _, abg_inspector = staff_headers(app, client, "inspector", "ABG")
    path = f"{FAQ}/{entry['id']}"
    assert client.patch(path, json={"answer_en": "x"}, headers=abg_inspector).status_code == 404
    assert client.post(f"{path}/hide", json={"reason": "x"}, headers=abg_admin).status_code == 404
    assert client.get(f"{FAQ}/moderation", headers=abg_admin).get_json() == []
    assert client.get(path).get_json()["answer_en"] == entry["answer_en"]


def test_an_entry_names_a_service_of_its_own_authority(app, client, nbg):
    bad = client.post(
        FAQ, json=entry_data(service="ABG-MEETING-WALI"), headers={**nbg["inspector"], **EN}
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0] == {
        "field": "service",
        "pointer": "/service",
        "detail": "Your authority has no service with this code.",
    }
    lease = published(client, nbg["inspector"], nbg["admin"], service="nbg-lease-register")
    general = published(client, nbg["inspector"], nbg["admin"], question_en="Opening hours?")
    assert lease["service"]["code"] == "NBG-LEASE-REGISTER"
    assert public_ids(client, service="NBG-LEASE-REGISTER") == [lease["id"]]
    assert public_ids(client, authority="nbg") == [lease["id"], general["id"]]
    assert public_ids(client, authority="ABG") == []


def test_the_public_list_follows_the_position(app, client, nbg):
    third = published(client, nbg["inspector"], nbg["admin"], position=30)
    first = published(client, nbg["inspector"], nbg["admin"], position=10)
    second = published(client, nbg["inspector"], nbg["admin"], position=20)
    assert public_ids(client) == [first["id"], second["id"], third["id"]]
    page = client.get(FAQ, query_string={"page_size": 2, "page": 2})
    assert [e["id"] for e in page.get_json()] == [third["id"]]
    assert '"total": 3' in page.headers["X-Pagination"]


def test_a_draft_is_seen_by_its_authoritys_authors_and_auditors_only(app, client, nbg):
    entry = propose(client, nbg["inspector"], source="INQ-2026-000007")
    path = f"{FAQ}/{entry['id']}"
    _, auditor = staff_headers(app, client, "auditor", "NBG")
    _, finance = staff_headers(app, client, "finance", "NBG")
    _, applicant = applicant_headers(client)
    assert client.get(path, headers=auditor).status_code == 200
    assert client.get(path, headers=finance).status_code == 404
    assert client.get(path, headers=applicant).status_code == 404
    listed = client.get(f"{FAQ}/moderation?state=pending", headers=auditor).get_json()
    assert [(e["id"], e["source"]) for e in listed] == [(entry["id"], "INQ-2026-000007")]

    client.post(f"{path}/publish", headers=nbg["admin"])
    public = client.get(path).get_json()
    assert "source" not in public  # the inquiry it came from is no one else's business
    assert "source" not in client.get(FAQ).get_json()[0]
