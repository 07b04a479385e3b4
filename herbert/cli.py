"""Operator commands: `flask --app herbert init`, `audit verify`, and the command groups each part of the app adds."""

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from herbert.audit import verify_chain
from herbert.records.cli import register_record_commands
from herbert.records.keys import keyring_path, load_keyring


@click.command("init")
def init_command() -> None:
    """Create the instance folder's secret key and keyring (if missing) and migrate the database."""
    created = not keyring_path(current_app).exists() and not current_app.config.get("KEYRING")
    load_keyring()
    upgrade()
    click.echo(f"Instance ready in {current_app.instance_path}" + (" (new keyring created)" if created else ""))


audit_cli = AppGroup("audit", help="Check the audit trail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the hash chain; exit 1 and name the first broken event if anything was changed, removed or moved."""
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit trail intact: {report.checked} events checked.")
        return
    click.echo(
        f"Audit trail BROKEN at event {report.broken_event_id}: {report.reason}. "
        f"{report.checked} events before it are intact.",
        err=True,
    )
    sys.exit(1)


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(audit_cli)
    register_record_commands(app)  # keys rotate/verify/status, backup, restore, sweep
    from herbert.handover.transfer.cli import register as register_transfer_commands  # export, import, export-schema

    register_transfer_commands(app)
    from herbert.jobs.cli import jobs_cli
    from herbert.mail.reminders import reminders_cli

    app.cli.add_command(jobs_cli)
    app.cli.add_command(reminders_cli)
