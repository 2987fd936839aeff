"""The hardening tests need the catalogue (cleared after each test) and a documents folder."""

from tests.licensing.conftest import seeded_catalogue  # noqa: F401 (an autouse fixture)
