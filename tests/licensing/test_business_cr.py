"""A licence for a commercial registration is its business's: an individual, or a business naming
another CR, is refused with 422 on `cr_number`; the business itself applies."""

from __future__ import annotations

import pytest

from tests.factories import applicant_headers
from tests.licensing.helpers import MUNICIPAL, TEMPORARY

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(
    ("segment", "body"), [("municipal-licences", MUNICIPAL), ("temporary-licences", TEMPORARY)]
)
def test_only_the_business_with_that_cr_applies(client, segment, body):
    _individual, individual = applicant_headers(client)
    refused = client.post(f"/api/v1/{segment}", json=body, headers={**individual, **EN})
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert (
        error["field"] == "cr_number"
        and "not your account's commercial registration" in error["detail"]
    )

    _other, other_business = applicant_headers(client, cr_number="1111111", trade_name="Other LLC")
    assert client.post(f"/api/v1/{segment}", json=body, headers=other_business).status_code == 422

    _owner, owner = applicant_headers(client, cr_number=body["cr_number"], trade_name="Owner LLC")
    made = client.post(f"/api/v1/{segment}", json=body, headers=owner)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["details"]["cr_number"] == body["cr_number"]


def test_the_refusal_is_in_arabic_for_an_arabic_caller(client):
    _individual, individual = applicant_headers(client)
    refused = client.post("/api/v1/municipal-licences", json=MUNICIPAL, headers=individual)
    assert refused.status_code == 422
    assert "السجل التجاري" in refused.get_json()["errors"][0]["detail"]
