"""The time the application code sees, moved by a test.

Only the modules named read the frozen time (the domain code under test); the rest, sign-in and
tokens among them, keep the real clock.
"""

from __future__ import annotations

from datetime import datetime

from app.timeutil import MUSCAT


class Clock:
    def __init__(self, monkeypatch, modules: tuple[str, ...]) -> None:
        self.now: datetime | None = None
        for module in modules:
            monkeypatch.setattr(f"{module}.utcnow", self._read)

    def _read(self) -> datetime | None:
        return self.now

    def set(self, year: int, month: int, day: int, hour: int) -> datetime:
        """Asia/Muscat wall time."""
        self.now = datetime(year, month, day, hour, tzinfo=MUSCAT)
        return self.now
