"""`flask audit verify` (and `flask audit export` for the system chain, which no authority owns)."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.audit.chain import SYSTEM_CHAIN
from app.audit.verify import verify_chains
from app.authorities.models import Authority
from app.extensions import db

audit_cli = AppGroup("audit", help="The hash-chained audit log.")


def chain_names() -> dict[int, str]:
    """Chain number → what it is called: the authority's code, or "system"."""
    names = {
        row.id: row.code for row in db.session.execute(sa.select(Authority.id, Authority.code))
    }
    return {**names, SYSTEM_CHAIN: "system"}


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every chain; exit 1 naming the first broken link of each broken chain."""
    report = verify_chains()
    names = chain_names()
    for chain in report.chains:
        name = names.get(chain.chain, "?")
        if chain.broken:
            click.echo(f"BROKEN {name}: {chain.broken}", err=True)
        else:
            click.echo(
                f"ok {name} (chain {chain.chain}): {chain.rows} rows, "
                f"head seq {chain.head_seq} {chain.head_hash}"
            )
    if not report.intact:
        sys.exit(1)
    click.echo(f"audit log intact: {len(report.chains)} chains")


@audit_cli.command("export")
@click.option("--chain", "chain_name", default="system", help='An authority code, or "system"')
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="Muscat date")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Muscat date")
def export_command(chain_name: str, first, last) -> None:
    """Write one chain's rows as CSV to standard output (the same columns as the API export)."""
    from app.audit.services import AuditFilter, csv_lines

    wanted = {name.lower(): chain for chain, name in chain_names().items()}
    if chain_name.lower() not in wanted:
        raise click.BadParameter(f"no chain {chain_name!r}", param_hint="--chain")
    period = AuditFilter(
        chain=wanted[chain_name.lower()],
        first=first.date() if first else None,
        last=last.date() if last else None,
    )
    for line in csv_lines(period):
        click.echo(line, nl=False)
