"""The time the application code sees, moved by a test.

One switch, `app.timeutil.frozen_at`, that `app.timeutil.utcnow()` reads: every module, the
domain code, the models' defaults, the outbox and the jobs, sees the same frozen time. Sign-in
sessions and tokens read `real_utcnow()` and keep the real clock (a test stays signed in).
"""

from __future__ import annotations

from datetime import datetime

from app import timeutil
from app.timeutil import MUSCAT


class Clock:
    def __init__(self, monkeypatch) -> None:
        self._monkeypatch = monkeypatch

    @property
    def now(self) -> datetime | None:
        return timeutil.frozen_at

    def set(self, year: int, month: int, day: int, hour: int) -> datetime:
        """Asia/Muscat wall time."""
        return self.stop_at(datetime(year, month, day, hour, tzinfo=MUSCAT))

    def stop_at(self, moment: datetime) -> datetime:
        """Stop the clock at `moment` (a zone-aware datetime) until the test ends."""
        self._monkeypatch.setattr(timeutil, "frozen_at", moment)
        return moment
