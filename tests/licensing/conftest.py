from __future__ import annotations

import pytest

from app.catalogue.seed import seed_catalogue
from app.extensions import db


@pytest.fixture(autouse=True)
def seeded_catalogue(request, tmp_path):
    """Applications need the catalogue, which the suite clears after each test; documents go
    to a folder of the test's own."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
    with app.app_context():
        seed_catalogue()
        db.session.commit()
        db.session.remove()
