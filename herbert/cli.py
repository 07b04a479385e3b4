"""Operator commands: `flask --app herbert init` and the command groups each part of the app adds."""

import click
from flask import Flask, current_app
from flask_migrate import upgrade

from herbert.records.cli import register_record_commands
from herbert.records.keys import keyring_path, load_keyring


@click.command("init")
def init_command() -> None:
    """Create the instance folder's secret key and keyring (if missing) and migrate the database."""
    created = not keyring_path(current_app).exists() and not current_app.config.get("KEYRING")
    load_keyring()
    upgrade()
    click.echo(f"Instance ready in {current_app.instance_path}" + (" (new keyring created)" if created else ""))


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    register_record_commands(app)  # keys rotate/verify/status, backup, restore, sweep
    from herbert.handover.cli import register as register_handover_commands  # audit verify, export, import

    register_handover_commands(app)
    from herbert.jobs.cli import jobs_cli
    from herbert.mail.reminders import reminders_cli

    app.cli.add_command(jobs_cli)
    app.cli.add_command(reminders_cli)
