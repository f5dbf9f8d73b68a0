"""Signing in to the organizer console from chat: `登录 NNNNNN`, the login QR, `退出登录`."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import audit, console_login
from bot.domain.console_login import Approval
from bot.domain.timefmt import fmt
from config import console_texts

router = Router("console_login")


def _approved(ctx: Context, approval: Approval) -> Reply:
    audit.record(ctx.session, ctx.resident, "chat", "login", summary=approval.browser, ip=approval.ip)
    when = fmt(datetime.fromtimestamp(approval.at, UTC).replace(tzinfo=None))
    return Reply(console_texts.LOGIN_OK.format(browser=approval.browser, ip=approval.ip, time=when))


@router.text("登录", "登陆")
def console_login_code(ctx: Context) -> Reply:
    """Sign the browser showing this code in to the console (organizers only)."""
    return _approved(ctx, console_login.approve_code(ctx.redis, ctx.resident, ctx.args))


@router.scan(console_login.SCENE_PREFIX)
def console_login_scan(ctx: Context) -> Reply:
    """The console's login QR, scanned: sign that browser in (organizers only)."""
    return _approved(ctx, console_login.approve_scene(ctx.redis, ctx.resident, ctx.scene))


@router.text("退出登录", interrupts=True)
def console_logout_all(ctx: Context) -> Reply:
    """End every console session of the sender."""
    count = console_login.revoke_all(ctx.redis, ctx.resident.id)
    if not count:
        return Reply(console_texts.LOGOUT_NONE)
    audit.record(ctx.session, ctx.resident, "chat", "logout", summary=f"{count}")
    return Reply(console_texts.LOGOUT_DONE.format(count=count))
