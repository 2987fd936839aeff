"""Service-level figures benchmark: `licensing.service_levels` over 1,000,000 applications of one
authority on PostgreSQL (the rows of bench/calendar.py: started through 2026, a quarter decided).

Prints, each the median of three runs: the figures per service and per month over every row,
over one month of receipts, and the public answer (90 days and 12 months counted to a day),
beside the bare aggregate over the same rows (the cost of reading them at all).

Usage: .venv/bin/python bench/service_levels.py [--rows 1000000]
Starts its own PostgreSQL from the binaries (as the tests do) unless BENCH_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _calendar_bench():
    # bench/calendar.py is named like the standard library's module: load it by its path.
    spec = importlib.util.spec_from_file_location("calendar_bench", ROOT / "bench" / "calendar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench(url: str, rows: int) -> None:
    import flask_migrate
    import sqlalchemy as sa

    from app import create_app
    from app.accounts.models import AccountKind, Role, User
    from app.accounts.passwords import hash_password
    from app.authorities.models import Authority
    from app.extensions import db
    from app.seed import seed_reference_data
    from licensing.public_service_levels import count_service_levels
    from licensing.service_levels import service_levels

    calendar_bench = _calendar_bench()
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_reference_data()
        authority = db.session.scalar(sa.select(Authority.id).where(Authority.code == "NBG"))
        user = User(
            kind=AccountKind.INDIVIDUAL,
            role=Role.APPLICANT,
            civil_id="99999998",
            name="Bench",
            email="bench-levels@example.om",
            phone="+96890000000",
            password_hash=hash_password(secrets.token_urlsafe()),  # nobody logs in
        )
        db.session.add(user)
        db.session.commit()
        keys = {"authority": authority, "applicant": user.id, "rows": rows}
        with db.engine.begin() as conn:
            conn.execute(sa.text(calendar_bench.APPLICATIONS), keys)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE applications"))

        def timed(run) -> float:
            runs = []
            for _ in range(3):
                db.session.remove()
                began = time.perf_counter()
                run()
                runs.append(time.perf_counter() - began)
            return statistics.median(runs)

        today = date(2026, 11, 22)
        baseline = timed(
            lambda: db.session.execute(
                sa.text(calendar_bench.BASELINE), {"authority": authority}
            ).all()
        )
        print(f"{rows:,} applications; bare aggregate over them: {baseline:.2f} s")
        for label, run in (
            ("per service, every row", lambda: service_levels(authority, None, None, "service", today)),
            ("per month, every row", lambda: service_levels(authority, None, None, "month", today)),
            ("per service, October's receipts",
             lambda: service_levels(authority, date(2026, 10, 1), date(2026, 10, 31), "service", today)),
            ("public answer (90 days, 12 months)", lambda: count_service_levels("NBG")),
        ):  # fmt: skip
            print(f"   {label}: {timed(run):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    server = None
    if not url:
        from tests.servers import start_postgres

        server = start_postgres()
        url = server.create_database("baladiya_bench_levels")
    try:
        bench(url, args.rows)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
