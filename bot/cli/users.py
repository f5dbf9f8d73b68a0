"""`flask --app wsgi users grant OPENID organizer|admin [--community NAME]`, `users revoke OPENID`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.cli.common import services
from bot.domain import communities, residents
from bot.domain.errors import UserError

users_cli = AppGroup("users", help="Roles: organizer and admin.")


@users_cli.command("grant")
@click.argument("openid")
@click.argument("role", type=click.Choice(["organizer", "admin"]))
@click.option("--community", default=None, help="Limit an organizer to one community")
def users_grant(openid: str, role: str, community: str | None) -> None:
    """Give OPENID the organizer or admin role."""
    try:
        with services().db.transaction() as session:
            scope = communities.required(session, community)
            residents.grant_role(session, openid, role, scope)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{openid} is now {role}" + (f" of {community}" if community else ""))


@users_cli.command("revoke")
@click.argument("openid")
def users_revoke(openid: str) -> None:
    """Take OPENID's organizer or admin role away."""
    try:
        with services().db.transaction() as session:
            residents.revoke_role(session, openid)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{openid} is now a resident")
