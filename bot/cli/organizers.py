"""`flask --app wsgi invite organizer` and `flask --app wsgi menu push`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from bot.domain import activities, invites
from bot.domain.errors import UserError
from bot.domain.timefmt import fmt
from bot.wechat import menu

invite_cli = AppGroup("invite", help="One-time codes that make someone an organizer (redeemed with 绑定 CODE).")


@invite_cli.command("organizer")
@click.option("--community", default=None, help="Limit the organizer to one community (name)")
@click.option("--days", default=invites.INVITE_TTL.days, show_default=True, type=click.IntRange(1, 90), help="Days until the code expires")
def invite_organizer(community: str | None, days: int) -> None:
    """Print a one-time code; whoever sends `绑定 CODE` becomes an organizer."""
    services = current_app.extensions["bot"]
    try:
        with services.db.transaction() as session:
            scope = activities.community_for(session, community)
            invite = invites.create(session, "organizer", scope, ttl=timedelta(days=days))
            code, expires = invite.code, invite.expires_at
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"organizer invite{f' for {community}' if community else ''}, single use, expires {fmt(expires)} (Asia/Shanghai)", err=True)
    click.echo(f"send in chat: 绑定 {code}", err=True)
    click.echo(code)


menu_cli = AppGroup("menu", help="The account's custom menu.")


@menu_cli.command("push")
def menu_push() -> None:
    """Install the custom menu (活动, 我的报名, 时长, 注册, 帮助) on the account."""
    services = current_app.extensions["bot"]
    if services.settings.sandbox:
        raise click.ClickException("WECHAT_APP_SECRET is not set: the sandbox has no menu to install")
    from bot.wechat.client import client_for

    client = client_for(services)
    try:
        menu.push(client)
    except Exception as exc:  # WeChatClientException or a network error: say which
        raise click.ClickException(f"menu push failed: {exc}") from exc
    click.echo("menu installed: " + ", ".join(menu.CLICK_KEYS))


def register(app) -> None:  # type: ignore[no-untyped-def]
    """Add these commands to the app's CLI (called by `bot.cli.register_cli`)."""
    app.cli.add_command(invite_cli)
    app.cli.add_command(menu_cli)
