"""`flask --app wsgi communities add NAME | list`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.cli.common import services
from bot.domain import communities

communities_cli = AppGroup("communities", help="The residential communities (社区).")


@communities_cli.command("add")
@click.argument("name")
def communities_add(name: str) -> None:
    """Add a community (kept if it exists)."""
    with services().db.transaction() as session:
        community = communities.add(session, name)
        click.echo(f"{community.id}\t{community.name}")


@communities_cli.command("list")
def communities_list() -> None:
    """List communities in the order residents choose from."""
    with services().db.transaction() as session:
        for community in communities.in_order(session):
            click.echo(f"{community.id}\t{community.name}")
