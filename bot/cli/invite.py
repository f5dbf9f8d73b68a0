"""`flask --app wsgi invite organizer [--community NAME]`: a one-time code redeemed in chat with `绑定 CODE`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from bot.cli.common import services
from bot.domain import communities, invites
from bot.domain.errors import UserError
from bot.domain.timefmt import fmt

invite_cli = AppGroup("invite", help="One-time codes that make someone an organizer (redeemed with 绑定 CODE).")


@invite_cli.command("organizer")
@click.option("--community", default=None, help="Limit the organizer to one community (name)")
@click.option("--days", default=invites.INVITE_TTL.days, show_default=True, type=click.IntRange(1, 90), help="Days until the code expires")
def invite_organizer(community: str | None, days: int) -> None:
    """Print a one-time code; whoever sends `绑定 CODE` becomes an organizer."""
    try:
        with services().db.transaction() as session:
            scope = communities.required(session, community)
            invite = invites.create(session, "organizer", scope, ttl=timedelta(days=days))
            code, expires = invite.code, invite.expires_at
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"organizer invite{f' for {community}' if community else ''}, single use, expires {fmt(expires)} (Asia/Shanghai)", err=True)
    click.echo(f"send in chat: 绑定 {code}", err=True)
    click.echo(code)
