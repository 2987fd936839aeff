"""Outgoing HTTP to Thawani's Checkout API (`requests`, one call site, no automatic retries).

Every answer is Thawani's envelope `{success, code, description, data}`; `ThawaniClient` gives
back `data` and turns every failure into our two exceptions: `GatewayUnavailable` (cannot reach,
time-out, 5xx, 409/429) or `GatewayRefused(description, status)`. What is assumed about the API is
listed in `payments.gateways.thawani.ASSUMPTIONS`.
"""

from __future__ import annotations

from typing import Any

import requests

from payments.gateways.base import GatewayRefused, GatewayUnavailable

# Answers that mean "not now": a lock or a rate limit; sending again later is safe.
TRANSIENT_STATUSES = frozenset({409, 429})
# Thawani's own result code for "no such object" (answered for an unknown session, and for a
# payments lookup that finds none).
NOT_FOUND_CODE = 4003
PAGE_SIZE = 100


def _refusal_status(http_status: int, code: Any) -> int:
    """The HTTP-like status a refusal carries: Thawani's 4003 is "not found" whatever HTTP
    status it came with; another 4xxx result code in a 2xx answer is a refusal of the request."""
    if code == NOT_FOUND_CODE:
        return 404
    if 200 <= http_status < 300:
        return 400
    return http_status


class ThawaniClient:
    """Thawani's Checkout API at `api_base` (…/api/v1), authenticated by the secret key."""

    def __init__(self, api_base: str, secret_key: str, timeout: float) -> None:
        self.api_base = api_base.rstrip("/")
        self.secret_key = secret_key
        self.timeout = timeout
        self.http = requests.Session()

    def _call(
        self, method: str, path: str, body: dict | None = None, params: dict | None = None
    ) -> Any:
        """The one place a request leaves: `data` of a successful answer, else our exceptions.
        A POST always carries a JSON body (Thawani answers 411 to a body-less POST)."""
        if body is None and method == "POST":
            body = {}
        try:
            response = self.http.request(
                method,
                self.api_base + path,
                json=body,
                params=params,
                headers={"thawani-api-key": self.secret_key, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise GatewayUnavailable(f"Thawani {method} {path}: {error}") from error
        status = response.status_code
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise GatewayUnavailable(f"Thawani {method} {path}: HTTP {status}")
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            raise GatewayRefused(f"Thawani {method} {path}: HTTP {status}, not JSON", status)
        if 200 <= status < 300 and envelope.get("success"):
            return envelope.get("data")
        code = envelope.get("code")
        description = envelope.get("description") or f"HTTP {status}"
        raise GatewayRefused(
            f"Thawani {method} {path}: {description} (code {code})", _refusal_status(status, code)
        )

    def create_session(self, payload: dict) -> dict:
        return self._call("POST", "/checkout/session", payload)

    def get_session(self, session_id: str) -> dict:
        return self._call("GET", f"/checkout/session/{session_id}")

    def get_session_by_reference(self, reference: str) -> dict:
        return self._call("GET", f"/checkout/reference/{reference}")

    def cancel_session(self, session_id: str) -> dict:
        return self._call("POST", f"/checkout/{session_id}/cancel")

    def list_payments(self, checkout_invoice: str) -> list[dict]:
        """The payment attempts of one checkout invoice; none is an empty list (Thawani
        answers 4003 for none)."""
        try:
            found = self._call(
                "GET",
                "/payments",
                params={"checkout_invoice": checkout_invoice, "limit": PAGE_SIZE, "skip": 0},
            )
        except GatewayRefused as error:
            if error.status == 404:
                return []
            raise
        return [p for p in found or [] if isinstance(p, dict)]

    def create_refund(self, payload: dict) -> dict:
        return self._call("POST", "/refunds", payload)

    def get_refund(self, refund_id: str) -> dict:
        return self._call("GET", f"/refunds/{refund_id}")

    def list_refunds(self, skip: int, limit: int = PAGE_SIZE) -> list[dict]:
        """One page of the merchant's refunds (Thawani documents no filter but limit/skip)."""
        try:
            found = self._call("GET", "/refunds", params={"limit": limit, "skip": skip})
        except GatewayRefused as error:
            if error.status == 404:
                return []
            raise
        return [r for r in found or [] if isinstance(r, dict)]
