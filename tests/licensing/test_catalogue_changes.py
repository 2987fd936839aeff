"""A change to the catalogue applies to new applications only: an application keeps the fee, the
target and the required documents copied onto it when its draft was created."""

from __future__ import annotations

from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import LEASE, act, pay, upload, upload_mandatory


def test_an_existing_application_keeps_its_fee_and_target_after_the_service_changes(app, client):
    _, applicant = applicant_headers(client)
    _, admin = staff_headers(app, client, "admin", "NBG")
    submitted = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    upload_mandatory(app, client, applicant, submitted["id"])
    assert act(client, applicant, submitted["id"], "submit").status_code == 200
    draft = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    assert (draft["fee"], draft["sla"]["target_days"]) == ("3.000", 7)

    changed = client.patch(
        "/api/v1/services/NBG-LEASE-REGISTER", json={"fee": "9.500", "sla_days": 12}, headers=admin
    )
    assert changed.status_code == 200
    assert (changed.get_json()["fee"], changed.get_json()["sla_days"]) == ("9.500", 12)

    # The draft, submitted after the change, is still charged and timed as when it was created.
    upload_mandatory(app, client, applicant, draft["id"])
    after_submit = act(client, applicant, draft["id"], "submit").get_json()
    assert after_submit["state"] == "payment_pending"
    for application_id in (submitted["id"], draft["id"]):
        pay(app, application_id)
        kept = client.get(f"/api/v1/applications/{application_id}", headers=applicant).get_json()
        assert kept["fee"] == "3.000" and kept["sla"]["target_days"] == 7
        assert kept["sla"]["state"] in ("on_track", "at_risk")

    new = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    assert (new["fee"], new["sla"]["target_days"]) == ("9.500", 12)


def test_an_existing_draft_keeps_its_list_of_required_documents(app, client):
    _, applicant = applicant_headers(client)
    _, admin = staff_headers(app, client, "admin", "NBG")
    draft = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    before = draft["required_documents"]
    assert before and {"code", "name_ar", "name_en", "mandatory"} <= set(before[0])
    service = client.get("/api/v1/services/NBG-LEASE-REGISTER").get_json()
    dropped, *kept = service["required_documents"]
    added = {
        "code": "municipality_clearance",
        "name_ar": "شهادة براءة ذمة من البلدية",
        "name_en": "Municipality clearance certificate",
        "mandatory": True,
    }
    kept = [{k: d[k] for k in ("code", "name_ar", "name_en", "mandatory")} for d in kept]
    changed = client.patch(
        "/api/v1/services/NBG-LEASE-REGISTER",
        json={"required_documents": [*kept, added]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.get_json()

    # The draft made before the change: the dropped document is still asked for and taken, the
    # new one is not asked for, and it is submitted without it.
    assert upload(client, applicant, draft["id"], dropped["code"]).status_code == 201
    assert upload(client, applicant, draft["id"], added["code"]).status_code == 422
    upload_mandatory(app, client, applicant, draft["id"])
    assert act(client, applicant, draft["id"], "submit").get_json()["state"] == "payment_pending"
    again = client.get(f"/api/v1/applications/{draft['id']}", headers=applicant).get_json()
    assert again["required_documents"] == before

    # A new draft asks for the new list.
    new = client.post("/api/v1/leases", json=LEASE, headers=applicant).get_json()
    assert [d["code"] for d in new["required_documents"]] == [
        *[d["code"] for d in kept],
        added["code"],
    ]
    assert upload(client, applicant, new["id"], dropped["code"]).status_code == 422
    submitted = act(client, applicant, new["id"], "submit")
    assert submitted.status_code == 409 and submitted.get_json()["code"] == "documents_missing"
