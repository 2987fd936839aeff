"""Consent to optional processing: explicit, recorded with its text's version, time and address,
withdrawable; news by SMS reaches only those who consent, through a real SMS gateway."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.consent_models import Consent
from app.audit.models import AuditEntry
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import applicant_headers, staff_headers

NEWS = "/api/v1/announcements/news"
EN = {"Accept-Language": "en"}


def _news(client, headers, title, **extra):
    return client.post(
        NEWS,
        json={
            "title_ar": f"خبر {title}",
            "title_en": f"News {title}",
            "body_ar": "نص الخبر",
            "body_en": "The news",
            "sms_subscribers": True,
            **extra,
        },
        headers=headers,
    )


def _consent(client, headers, granted):
    return client.put(
        "/api/v1/me/consents/marketing_sms", json={"granted": granted}, headers=headers
    )


def test_nothing_is_consented_until_asked_and_each_change_is_recorded(app, client):
    user, headers = applicant_headers(client)
    [purpose] = client.get("/api/v1/me/consents", headers=headers).get_json()["purposes"]
    assert purpose["purpose"] == "marketing_sms" and purpose["granted"] is False
    assert purpose["history"] == [] and "SMS" in purpose["text_en"] and purpose["text_ar"]

    granted = _consent(client, headers, True)
    assert granted.status_code == 200 and granted.get_json()["granted"] is True
    assert _consent(client, headers, True).get_json()["history"][0]["withdrawn_at"] is None
    withdrawn = _consent(client, headers, False).get_json()
    assert withdrawn["granted"] is False
    [row] = withdrawn["history"]
    assert row["withdrawn_at"] is not None and row["notice_version"] == purpose["notice_version"]
    again = _consent(client, headers, True).get_json()
    assert again["granted"] is True and len(again["history"]) == 2
    with app.app_context():
        rows = db.session.scalars(sa.select(Consent).where(Consent.user_id == user["id"])).all()
        assert [r.granted_from for r in rows] == ["127.0.0.1", "127.0.0.1"]
        actions = db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.action.like("consent.%"))
            .order_by(AuditEntry.id)
        ).all()
        assert actions == ["consent.granted", "consent.withdrawn", "consent.granted"]


def test_news_by_sms_reaches_only_those_who_consent_and_stops_on_withdrawal(
    app, outbox_app, client, sms
):
    yes, yes_headers = applicant_headers(client)
    no, _no_headers = applicant_headers(client)
    _consent(client, yes_headers, True)
    _head, head = staff_headers(app, client, "department_head")

    assert _news(client, head, "one").status_code == 201
    assert app.extensions["jobs"].drain(15)
    assert [m["to"] for m in sms.received] == [yes["phone"]]
    assert "News one" in sms.received[0]["text"]

    _consent(client, yes_headers, False)
    assert _news(client, head, "two").status_code == 201
    assert app.extensions["jobs"].drain(15)
    assert len(sms.received) == 1  # nobody consents now
    assert no["phone"] not in [m["to"] for m in sms.received]


def test_news_without_sms_sends_none_and_sms_must_go_with_the_news(app, outbox_app, client, sms):
    _user, headers = applicant_headers(client)
    _consent(client, headers, True)
    _head, head = staff_headers(app, client, "department_head")
    assert _news(client, head, "quiet", sms_subscribers=False).status_code == 201
    assert app.extensions["jobs"].drain(15)
    assert sms.received == []
    later = (utcnow() + timedelta(days=2)).isoformat()
    refused = _news(client, {**head, **EN}, "later", publish_at=later)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["sms_subscribers"]


def test_an_unknown_purpose_is_404_and_a_bad_body_422(client):
    _user, headers = applicant_headers(client)
    assert (
        client.put(
            "/api/v1/me/consents/telepathy", json={"granted": True}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.put(
            "/api/v1/me/consents/marketing_sms", json={"granted": "maybe"}, headers=headers
        ).status_code
        == 422
    )
