"""Tampering behind the application's back, each way, is caught and named by `verify`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.audit import record_change
from app.audit.verify import EDITED, INSERTED, MISSING, REORDERED, verify_chains
from app.authorities.models import Authority
from app.extensions import db
from tests.audit.tampering import (
    LOG,
    behind_the_apps_back,
    forge,
    outside_hash,
    rows_of_chain,
    set_seq,
)


@pytest.fixture
def chain(app):
    """Five changes to NBG's records, each committed on its own; NBG's chain number."""
    with app.app_context():
        nbg = db.session.scalar(sa.select(Authority.id).where(Authority.code == "NBG"))
        for n in range(1, 6):
            record_change(
                "application.approved",
                "application",
                f"NBG-2026-00000{n}",
                authority_id=nbg,
                before={"state": "under_review"},
                after={"state": "approved", "note": "موافقة"},
            )
            db.session.commit()
        db.session.remove()
    return nbg


def _break(app):
    with app.app_context():
        report = verify_chains()
        db.session.remove()
    broken = report.first_break
    return broken and (broken.chain, broken.seq, broken.row_id, broken.problem)


def test_an_untouched_chain_verifies_and_its_hashes_follow_the_readme(app, chain):
    assert _break(app) is None
    with behind_the_apps_back(app) as conn:
        rows = rows_of_chain(conn, chain)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == "0" * 64
    for before, row in zip([None, *rows], rows, strict=False):
        assert row["hash"] == outside_hash(row)
        if before:
            assert row["prev_hash"] == before["hash"]


def test_an_edited_row_is_named(app, chain):
    with behind_the_apps_back(app) as conn:
        third = rows_of_chain(conn, chain)[2]
        conn.execute(LOG.update().where(LOG.c.id == third["id"]).values(after={"state": "x"}))
    assert _break(app) == (chain, 3, third["id"], EDITED)


def test_an_edited_row_whose_hash_was_recomputed_is_named(app, chain):
    with behind_the_apps_back(app) as conn:
        third = rows_of_chain(conn, chain)[2]
        edited = {**third, "actor_role": "admin"}
        conn.execute(
            LOG.update()
            .where(LOG.c.id == third["id"])
            .values(actor_role="admin", hash=outside_hash(edited))
        )
    assert _break(app) == (chain, 3, third["id"], EDITED)


def test_a_deleted_row_is_named(app, chain):
    with behind_the_apps_back(app) as conn:
        third, fourth = rows_of_chain(conn, chain)[2:4]
        conn.execute(LOG.delete().where(LOG.c.id == third["id"]))
    assert _break(app) == (chain, 3, fourth["id"], MISSING)


def test_a_row_cut_off_the_end_is_named(app, chain):
    with behind_the_apps_back(app) as conn:
        last = rows_of_chain(conn, chain)[-1]
        conn.execute(LOG.delete().where(LOG.c.id == last["id"]))
    assert _break(app) == (chain, 5, None, MISSING)


def test_a_row_inserted_in_the_middle_is_named(app, chain):
    """The attacker makes room (renumbering the rows after) and links the forged row properly."""
    with behind_the_apps_back(app) as conn:
        rows = rows_of_chain(conn, chain)
        for row in reversed(rows[2:]):
            set_seq(conn, row["id"], row["seq"] + 1)
        forged = forge(conn, rows[1], seq=3, prev_hash=rows[1]["hash"], subject_id="NBG-FORGED")
    assert _break(app) == (chain, 3, forged["id"], INSERTED)


def test_a_row_added_at_the_end_is_named(app, chain):
    with behind_the_apps_back(app) as conn:
        last = rows_of_chain(conn, chain)[-1]
        at = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
        forged = forge(conn, last, seq=6, prev_hash=last["hash"], at=at)
    assert _break(app) == (chain, 6, forged["id"], INSERTED)


def test_reordered_rows_are_named(app, chain):
    with behind_the_apps_back(app) as conn:
        second, third = rows_of_chain(conn, chain)[1:3]
        set_seq(conn, second["id"], -1)
        set_seq(conn, third["id"], 2)
        set_seq(conn, second["id"], 3)
    assert _break(app) == (chain, 2, third["id"], REORDERED)


def test_the_cli_summarises_an_intact_log_and_names_the_first_broken_link(app, chain):
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert f"ok NBG (chain {chain}): 5 rows, head seq 5" in intact.output
    assert "audit log intact: 1 chains" in intact.output
    with behind_the_apps_back(app) as conn:
        fourth, fifth = rows_of_chain(conn, chain)[3:5]
        conn.execute(LOG.delete().where(LOG.c.id == fourth["id"]))
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert (
        f"BROKEN NBG: chain {chain}, seq 4, row id {fifth['id']}: missing row: "
        "seq 4 absent before this row"
    ) in broken.output


def test_the_periodic_check_logs_an_error_naming_the_break(app, chain, caplog):
    from app.audit.jobs import verify_audit_log

    with app.app_context():
        assert verify_audit_log() is True
    with behind_the_apps_back(app) as conn:
        second = rows_of_chain(conn, chain)[1]
        conn.execute(LOG.update().where(LOG.c.id == second["id"]).values(action="forged"))
    caplog.clear()
    with app.app_context():
        assert verify_audit_log() is False
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [(r.message, r.chain, r.seq, r.row_id, r.problem) for r in errors] == [
        ("audit chain broken", chain, 2, second["id"], "edited content")
    ]


def test_operators_export_the_system_chain_from_the_cli(app, chain):
    with app.app_context():
        record_change("account.registered", "user", "41", authority_id=None, after={"n": 1})
        db.session.commit()
        db.session.remove()
    runner = app.test_cli_runner()
    system = runner.invoke(args=["audit", "export", "--chain", "system"])
    assert system.exit_code == 0, system.output
    lines = system.output.splitlines()
    assert lines[0].startswith("id,chain,seq,at,")
    assert [line.split(",")[1:3] + [line.split(",")[7]] for line in lines[1:]] == [
        ["0", "1", "account.registered"]
    ]
    nbg = runner.invoke(args=["audit", "export", "--chain", "nbg", "--from", "2000-01-01"])
    assert len(nbg.output.splitlines()) == 1 + 5
    unknown = runner.invoke(args=["audit", "export", "--chain", "XYZ"])
    assert unknown.exit_code == 2 and "no chain 'XYZ'" in unknown.output
