"""`flask --app wsgi menu push`: install the custom menu (SPEC §3) on the account."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.cli.common import services
from bot.wechat import menu
from bot.wechat.client import client_for

menu_cli = AppGroup("menu", help="The account's custom menu.")


@menu_cli.command("push")
def menu_push() -> None:
    """Install the custom menu (活动, 我的报名, 时长, 注册, 帮助) on the account."""
    bot = services()
    if bot.settings.sandbox:
        raise click.ClickException("WECHAT_APP_SECRET is not set: the sandbox has no menu to install")
    client = client_for(bot)
    try:
        menu.push(client)
    except Exception as exc:  # WeChatClientException or a network error: say which
        raise click.ClickException(f"menu push failed: {exc}") from exc
    click.echo("menu installed: " + ", ".join(menu.CLICK_KEYS))
