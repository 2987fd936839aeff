"""Flask CLI commands: seed, staff accounts, jobs, the development server."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app import uow
from app.extensions import db

users = AppGroup("users", help="Accounts.")
jobs_cli = AppGroup("jobs", help="Background jobs (rq).")


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also make demo staff accounts and print them")
@click.option(
    "--i-know-this-is-not-production",
    "not_production",
    is_flag=True,
    help="Allow --demo on a database other than the embedded default",
)
@with_appcontext
def seed_command(demo, not_production) -> None:
    """Create or update the reference data: authorities, departments, calendars, catalogue."""
    from app.seed import DEMO_AUTHORITY, is_embedded_database, seed_demo_staff, seed_reference_data

    if demo and not (not_production or is_embedded_database(current_app.config["DATABASE_URL"])):
        # Checked before anything is written: the demo passwords are published in the README.
        raise click.ClickException(
            "--demo makes staff accounts whose passwords are published; it runs only on the "
            "embedded default database (DATABASE_URL unset). On a database that is not "
            "production, add --i-know-this-is-not-production."
        )
    with uow.transaction():
        seed_reference_data()
    click.echo("seeded")
    if demo:
        click.echo(f"demo staff of {DEMO_AUTHORITY} (log in with e-mail and password):")
        with uow.transaction():
            outcome = seed_demo_staff()
        for account, status in outcome:
            password = (
                "(changed since seeded)" if status == "password changed" else account.password
            )
            click.echo(f"  {account.role:<16} {account.email:<27} {password}")


@users.command("create-staff")
@click.option("--authority", required=True, help="Authority code, e.g. NBG")
@click.option("--department", required=True, help="Department code, e.g. licensing")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["inspector", "finance", "department_head", "admin", "auditor"]),
)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--civil-id", required=True)
@click.option("--phone", required=True)
@click.option("--language", default="ar", type=click.Choice(["ar", "en"]))
@click.password_option("--password", envvar="BALADIYA_STAFF_PASSWORD")
def create_staff_command(
    authority, department, role, email, name, civil_id, phone, language, password
) -> None:
    """Create a staff account (the first admin of an authority starts here)."""
    from marshmallow import ValidationError

    from app.accounts.schemas import StaffInputSchema
    from app.accounts.services import create_staff_account
    from app.authorities.models import Authority
    from app.errors import Problem

    found = db.session.scalar(sa.select(Authority).where(Authority.code == authority.upper()))
    if found is None:
        raise click.BadParameter(
            f"no authority {authority!r}; run 'flask seed' first", param_hint="--authority"
        )
    raw = {
        "email": email,
        "name": name,
        "civil_id": civil_id,
        "phone": phone,
        "password": password,
        "role": role,
        "department": department,
        "preferred_language": language,
    }
    try:
        data = StaffInputSchema().load(raw)
        with uow.transaction():
            user = create_staff_account(found.id, data, language)
            created = f"created {role} #{user.id} <{user.email}> in {found.code}"
    except ValidationError as error:
        raise click.ClickException(f"invalid: {error.messages}") from error
    except Problem as problem:
        raise click.ClickException(f"{problem.code}: {problem.detail}") from problem
    click.echo(created)


@jobs_cli.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty")
def worker_command(queues, burst) -> None:
    """Run an rq worker on the named queues (all, highest first, by default); it starts again
    after a Redis outage."""
    from jobs import QUEUES, redis_connection
    from jobs.processes import run_worker

    if not current_app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the web process"
        )
    from app.pdf import warm_up

    try:
        warm_up()  # before it takes jobs: the first receipt renders as fast as the next
    except Exception:  # noqa: BLE001 - a worker that cannot warm up still runs every job
        current_app.logger.exception("worker warm-up failed; the first document renders cold")
    run_worker(redis_connection(), list(queues or QUEUES), burst=burst)


@jobs_cli.command("cron")
def cron_command() -> None:
    """Run rq's cron scheduler with the periodic jobs (one per installation)."""
    from jobs import redis_connection
    from jobs.schedule import run_rq_cron

    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: `flask serve` runs periodic jobs itself")
    run_rq_cron(redis_connection())


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve_command(host, port) -> None:
    """Development server; without Redis it also runs the periodic jobs in-process."""
    from werkzeug.serving import run_simple

    from jobs.schedule import InProcessCron

    app = current_app._get_current_object()
    if not app.config["REDIS_URL"]:
        InProcessCron(app).start()
    click.echo(
        f"Baladiya API: http://{host}:{port}/api/v1  docs: http://{host}:{port}/api/docs  "
        f"OpenAPI: http://{host}:{port}/api/openapi.json  health: http://{host}:{port}/healthz"
    )
    # app.run() refuses to run inside a `flask` command; werkzeug's server is what it would start.
    run_simple(host, port, app, threaded=True, use_reloader=False)


def register_commands(app: Flask) -> None:
    from app.audit.cli import audit_cli

    for command in (seed_command, users, jobs_cli, serve_command, audit_cli):
        app.cli.add_command(command)
