"""The applicant corrects their own details: an Omani address; a new e-mail or phone with the
current password, told to the old one through the real SMTP server and SMS gateway."""

from __future__ import annotations

from tests.factories import PASSWORD, applicant_headers, login

ADDRESS = {
    "governorate": "north_al_batinah",
    "wilayat": "Sohar",
    "area": "Falaj Al Qabail",
    "way": "4521",
    "building": "17",
    "po_box": "123",
    "postal_code": "311",
}
EN = {"Accept-Language": "en"}


def test_an_omani_address_is_set_corrected_and_cleared(client):
    _user, headers = applicant_headers(client)
    answer = client.patch("/api/v1/me", json={"address": ADDRESS}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["address"] == ADDRESS
    moved = {"governorate": "muscat", "wilayat": "  Bawshar  "}
    answer = client.patch("/api/v1/me", json={"address": moved}, headers=headers)
    assert answer.get_json()["address"] == {"governorate": "muscat", "wilayat": "Bawshar"}
    assert client.get("/api/v1/me", headers=headers).get_json()["address"]["wilayat"] == "Bawshar"
    cleared = client.patch("/api/v1/me", json={"address": None}, headers=headers)
    assert cleared.get_json()["address"] is None


def test_a_bad_address_names_its_fields(client):
    _user, headers = applicant_headers(client)
    bad = {"governorate": "atlantis", "postal_code": "1234", "po_box": "x1"}
    answer = client.patch("/api/v1/me", json={"address": bad}, headers={**headers, **EN})
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.get_json()["errors"]}
    assert fields == {
        "address.governorate",
        "address.wilayat",
        "address.postal_code",
        "address.po_box",
    }


def test_a_new_email_needs_the_password_and_the_old_address_is_told(outbox_app, client, smtp):
    user, headers = applicant_headers(client)
    without = client.patch(
        "/api/v1/me", json={"email": "new.me@example.om"}, headers={**headers, **EN}
    )
    assert without.status_code == 422
    assert [e["field"] for e in without.get_json()["errors"]] == ["current_password"]
    wrong = client.patch(
        "/api/v1/me",
        json={"email": "new.me@example.om", "current_password": "not it at all 1"},
        headers=headers,
    )
    assert wrong.status_code == 422
    changed = client.patch(
        "/api/v1/me",
        json={"email": "New.Me@example.om", "current_password": PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.get_json()["email"] == "new.me@example.om"
    assert outbox_app.extensions["jobs"].drain(15)
    [told] = smtp.messages
    assert told["To"] == user["email"]  # the old address
    assert "changed" in told["Subject"]
    assert "new.me@example.om" not in told.get_body(("plain",)).get_content()  # masked
    login(client, "new.me@example.om")


def test_a_new_phone_is_told_to_the_old_number(outbox_app, client, sms):
    user, headers = applicant_headers(client)
    changed = client.patch(
        "/api/v1/me",
        json={"phone": "+96871234567", "current_password": PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.get_json()["phone"] == "+96871234567"
    assert outbox_app.extensions["jobs"].drain(15)
    assert [m["to"] for m in sms.received] == [user["phone"]]


def test_an_email_of_another_account_is_refused(client):
    other, _ = applicant_headers(client)
    _user, headers = applicant_headers(client)
    taken = client.patch(
        "/api/v1/me",
        json={"email": other["email"], "current_password": PASSWORD},
        headers={**headers, **EN},
    )
    assert taken.status_code == 409
