"""The security headers every answer carries, each once, with the policy of its kind of page; a
view's own value of one of them is kept."""

from __future__ import annotations

from tests.conftest import build_app

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _once(response, name: str) -> str:
    values = response.headers.getlist(name)
    assert len(values) == 1, (name, values)
    return values[0]


def test_an_api_answer_carries_every_header_once_and_is_not_stored(client):
    response = client.get("/api/v1/authorities")
    assert response.status_code == 200
    for name, value in EVERY_ANSWER.items():
        assert _once(response, name) == value
    assert _once(response, "Content-Security-Policy") == API_POLICY
    assert _once(response, "Cache-Control") == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # not configured


def test_a_refusal_and_an_unknown_route_carry_them_too(client):
    for response in (client.get("/api/v1/applications"), client.get("/api/v1/no-such-thing")):
        assert response.status_code in (401, 404)
        for name, value in EVERY_ANSWER.items():
            assert _once(response, name) == value
        assert _once(response, "Cache-Control") == "no-store"


def test_the_docs_page_may_run_its_own_assets_and_is_not_marked_no_store(client):
    response = client.get("/api/docs")
    policy = _once(response, "Content-Security-Policy")
    assert "script-src 'self' 'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy
    assert _once(response, "X-Frame-Options") == "DENY"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_outside_the_api_the_strict_policy_and_no_cache_control(client):
    response = client.get("/healthz")
    assert _once(response, "Content-Security-Policy") == API_POLICY
    assert "Cache-Control" not in response.headers


def test_a_view_that_sets_its_own_cache_control_keeps_it(client):
    response = client.get("/api/v1/services")
    assert _once(response, "Cache-Control") == "public, no-cache"


def test_hsts_only_when_configured(database_url):
    client = build_app(database_url, HSTS=True).test_client()
    for path in ("/api/v1/authorities", "/healthz", "/api/docs"):
        response = client.get(path)
        assert _once(response, "Strict-Transport-Security") == (
            "max-age=63072000; includeSubDomains"
        )
