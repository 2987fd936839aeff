"""Appending: rows join their chain at commit, never on rollback, and concurrent writers on
PostgreSQL never fork a chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.audit import AuditChainHead, AuditEntry, record_change
from app.audit.verify import verify_chains
from app.authorities.models import Authority
from app.extensions import db


def _authority_ids(*codes: str) -> list[int]:
    found = dict(db.session.execute(sa.select(Authority.code, Authority.id)).all())
    return [found[code] for code in codes]


def test_a_rolled_back_change_leaves_no_row_and_no_gap(app_ctx):
    (nbg,) = _authority_ids("NBG")
    record_change("service.updated", "service", "X", authority_id=nbg, after={"fee": 1})
    db.session.commit()
    record_change("service.updated", "service", "Y", authority_id=nbg, after={"fee": 2})
    db.session.rollback()
    record_change("service.updated", "service", "Z", authority_id=nbg, after={"fee": 3})
    record_change("account.registered", "user", "7", authority_id=None)
    db.session.commit()
    rows = db.session.execute(
        sa.select(AuditEntry.chain, AuditEntry.seq, AuditEntry.subject_id).order_by(
            AuditEntry.chain.desc(), AuditEntry.seq
        )
    ).all()
    assert [tuple(r) for r in rows] == [(nbg, 1, "X"), (nbg, 2, "Z"), (0, 1, "7")]
    heads = db.session.execute(sa.select(AuditChainHead.chain, AuditChainHead.seq)).all()
    assert sorted(tuple(h) for h in heads) == sorted([(nbg, 2), (0, 1)])
    assert verify_chains().intact


@pytest.mark.postgres_only  # SQLite has one writer at a time
@pytest.mark.committed  # a race: each writer its own connection and transaction
def test_concurrent_writers_on_postgresql_keep_every_chain_whole(app, backend_name):
    assert backend_name == "postgresql"
    with app.app_context():
        nbg, abg = _authority_ids("NBG", "ABG")
    writers, transactions = 8, 15
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        with app.app_context():
            start.wait()
            for n in range(transactions):
                # Both chains in every transaction, named in either order, so their heads are
                # locked two at a time by transactions that name them differently.
                first, second = (nbg, abg) if (writer + n) % 2 else (abg, nbg)
                record_change("t.one", "test", f"{writer}-{n}", authority_id=first)
                record_change("t.two", "test", f"{writer}-{n}", authority_id=second)
                if n % 2:
                    record_change("t.sys", "test", f"{writer}-{n}", authority_id=None)
                db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))

    with app.app_context():
        report = verify_chains()
        assert report.intact, report.first_break
        assert {c.chain: c.rows for c in report.chains} == {nbg: 120, abg: 120, 0: 56}
        db.session.remove()
