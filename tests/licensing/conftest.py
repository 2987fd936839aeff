from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def documents_folder(request, tmp_path):
    """Documents go to a folder of the test's own (the catalogue is seeded once for the run)."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
