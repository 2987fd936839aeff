from __future__ import annotations

import pytest

from tests.clock import Clock


@pytest.fixture(autouse=True)
def documents_folder(request, tmp_path):
    """Evidence goes to a folder of the test's own."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
