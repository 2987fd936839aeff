"""An admin sets a service's target in working days, in working minutes, or none (issue 15),
through the catalogue's PATCH; the catalogue shows the unit; bad combinations are 422."""

from __future__ import annotations

import pytest

from tests.catalogue.test_admin import LEASE, admin, audit_rows  # noqa: F401 - the fixture

TARGET = ("sla_unit", "sla_days", "sla_minutes", "has_target")


def target(body):
    return tuple(body[key] for key in TARGET)


def test_a_target_moves_between_days_minutes_and_none(app, client, admin):  # noqa: F811
    headers = admin[1]
    assert target(client.get(LEASE).get_json()) == ("working_days", 7, None, True)
    minutes = client.patch(LEASE, json={"sla_minutes": 90}, headers=headers)
    assert minutes.status_code == 200
    assert target(minutes.get_json()) == ("working_minutes", None, 90, True)
    none = client.patch(LEASE, json={"sla_unit": "none"}, headers=headers)
    assert target(none.get_json()) == ("none", None, None, False)
    days = client.patch(LEASE, json={"sla_unit": "working_days", "sla_days": 3}, headers=headers)
    assert target(days.get_json()) == ("working_days", 3, None, True)
    entries = audit_rows(app, "NBG-LEASE-REGISTER")
    assert [
        (e.after["sla_unit"], e.after["sla_days"], e.after["sla_minutes"]) for e in entries
    ] == [
        ("working_minutes", 0, 90),
        ("none", 0, None),
        ("working_days", 3, None),
    ]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sla_unit": "none", "sla_days": 3}, "sla_days"),
        ({"sla_unit": "none", "sla_minutes": 30}, "sla_minutes"),
        ({"sla_unit": "working_days", "sla_minutes": 30}, "sla_minutes"),
        ({"sla_unit": "working_minutes", "sla_days": 2}, "sla_days"),
        ({"sla_unit": "working_minutes"}, "sla_minutes"),  # no figure to switch to
        ({"sla_days": 2, "sla_minutes": 30}, "sla_minutes"),
        ({"sla_minutes": 0}, "sla_minutes"),
        ({"sla_minutes": 7801}, "sla_minutes"),
        ({"sla_unit": "hours"}, "sla_unit"),
    ],
)
def test_a_target_and_its_unit_must_agree(app, client, admin, change, field):  # noqa: F811
    response = client.patch(LEASE, json=change, headers=admin[1])
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert target(client.get(LEASE).get_json()) == ("working_days", 7, None, True)


def test_switching_back_to_days_needs_the_days(client, admin):  # noqa: F811
    client.patch(LEASE, json={"sla_minutes": 90}, headers=admin[1])
    response = client.patch(LEASE, json={"sla_unit": "working_days"}, headers=admin[1])
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["sla_days"]
