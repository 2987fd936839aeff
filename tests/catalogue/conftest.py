"""The catalogue is seeded reference data, but the suite clears it after every test: seed it
again before each test that uses the app, so every test starts from the seeded catalogue."""

from __future__ import annotations

import pytest

from app.catalogue.seed import seed_catalogue
from app.extensions import db


@pytest.fixture(autouse=True)
def seeded_catalogue(request):
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        seed_catalogue()
        db.session.commit()
        db.session.remove()
