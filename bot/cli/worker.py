"""`flask --app wsgi worker`: all background work (RQ worker with its scheduler and periodic sweeps)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from bot.cli.common import services
from bot.runtime import worker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (one-off runs, tests).")
@click.option("--name", default=None, help="Worker name shown by `jobs status` (default: a random id).")
@click.option(
    "--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="RQ's log level."
)
@with_appcontext
def worker_command(burst: bool, name: str | None, log_level: str) -> None:
    """Run all background work: an RQ worker with its scheduler, and the periodic sweeps."""
    worker.run(services(), burst=burst, name=name, log_level=log_level)
