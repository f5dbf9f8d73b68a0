"""`flask --app wsgi db upgrade`: create or migrate the schema."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.cli.common import services
from bot.storage.schema import upgrade_database

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    db = services().db
    upgrade_database(db.url)
    click.echo(f"schema up to date ({db.dialect})")
