"""The hardening tests need a documents folder."""

from tests.licensing.conftest import documents_folder  # noqa: F401 (an autouse fixture)
