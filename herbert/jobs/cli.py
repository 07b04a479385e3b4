"""`flask --app herbert jobs run`: the job runner (a huey consumer) for this app's configuration."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from herbert.jobs.runner import runner_of

jobs_cli = AppGroup("jobs", help="The job runner: email, reminders, expiry and clean-ups.")


@jobs_cli.command("run")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs at once.")
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic jobs here (another runner does).")
@click.option("--max-delay", default=1.0, show_default=True, help="Longest wait between polls of an idle SQLite queue.")
def run_command(workers: int, no_periodic: bool, max_delay: float) -> None:
    """Run jobs until stopped (Ctrl-C or SIGTERM finish the running jobs first)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    huey = runner_of(current_app).huey
    huey.immediate = False
    click.echo(f"Job runner started ({type(huey).__name__}, {workers} workers)", err=True)
    # Huey backs off polling an idle queue up to max_delay: 1 s keeps a police-share notice prompt on SQLite
    # (Redis blocks on the queue instead, so it is instant there).
    consumer = huey.create_consumer(
        workers=workers,
        periodic=not no_periodic,
        worker_type="thread",
        initial_delay=0.1,
        backoff=1.15,
        max_delay=max_delay,
    )
    consumer.run()
