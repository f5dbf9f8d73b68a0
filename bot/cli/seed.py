"""`flask --app wsgi seed-demo`: the demo communities, an organizer and sample activities (config/demo.py)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from bot.cli.common import services
from bot.domain import demo
from config import demo as demo_data


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the five demo communities, an organizer and sample activities."""
    with services().db.transaction() as session:
        communities, created = demo.seed(session)
    click.echo(f"{communities} communities, organizer {demo_data.ORGANIZER_OPENID}, {created} new activities")
