"""Reading the catalogue through the API, every page of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_DATA = Path(__file__).resolve().parents[2] / "app" / "catalogue" / "seed_data"


def seed_file(name: str) -> dict[str, Any]:
    return json.loads((SEED_DATA / name).read_text(encoding="utf-8"))


# The services the case kinds run on (cases/seed.py: suggestions, inquiries, support tickets),
# which no seed table publishes: the seed's tests leave them out.
CASE_SERVICES = frozenset(
    {
        "NBG-SUGGESTION",
        "NBG-INQUIRY",
        "NBG-TICKET",
        "ABG-SUGGESTION",
        "ABG-TICKET",
        "MEM-SUGGESTION",
        "MEM-INQUIRY",
        "MEM-TICKET",
    }
)


def list_services(client, **params: Any) -> list[dict[str, Any]]:
    """Every service the list answers for `params`, walking the pages (the seed tables' only)."""
    return [s for s in all_services(client, **params) if s["code"] not in CASE_SERVICES]


def all_services(client, **params: Any) -> list[dict[str, Any]]:
    """Every service the list answers for `params`, walking the pages."""
    found, page = [], 1
    while True:
        response = client.get("/api/v1/services", query_string={**params, "page": page})
        assert response.status_code == 200, response.get_json()
        found.extend(response.get_json())
        pagination = json.loads(response.headers["X-Pagination"])
        if page >= pagination.get("total_pages", 0):
            return found
        page += 1


def codes(services: list[dict[str, Any]]) -> set[str]:
    return {s["code"] for s in services}
