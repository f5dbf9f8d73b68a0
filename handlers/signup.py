"""Signing up, cancelling and seeing one's own sign-ups."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import signups
from bot.domain.errors import NotRegistered
from bot.domain.timefmt import fmt
from bot.storage.models import utc_now
from config import texts
from handlers import registration

router = Router("signup")


def sign_up(ctx: Context, activity_id: int) -> Reply:
    """Sign the sender up for one activity; the reply says 报名成功 or 候补第K位."""
    taken = signups.sign_up(ctx.session, ctx.openid, activity_id)
    if not taken.confirmed:
        return Reply(texts.SIGNUP_WAITLIST.format(id=taken.activity_id, title=taken.title, position=taken.position))
    template = texts.SIGNUP_OK_STARTED if taken.start_at <= utc_now() else texts.SIGNUP_OK
    return Reply(template.format(id=taken.activity_id, title=taken.title, when=fmt(taken.start_at), place=taken.place))


@router.text("报名")
def signup_start(ctx: Context) -> Reply:
    """Sign up for activity N; someone unregistered registers first, then is signed up."""
    activity_id = ctx.number("报名")
    try:
        return sign_up(ctx, activity_id)
    except NotRegistered as exc:
        ctx.rollback()
        return Reply(exc.message).then(registration.start(ctx, then_signup=activity_id))


@router.text("取消")
def signup_cancel(ctx: Context) -> Reply:
    """Give up a place (or a place in line); the first in line moves up and is told."""
    activity_id = ctx.number("取消")
    result = signups.cancel(ctx.session, ctx.resident.id, activity_id)
    template = texts.CANCEL_OK if result.was == "confirmed" else texts.CANCEL_WAITLIST_OK
    return Reply(template.format(id=result.activity.id, title=result.activity.title))


@router.text("我的报名")
@router.click("MY_SIGNUPS")
def my_signups(ctx: Context) -> Reply:
    """The sender's upcoming places and waitlist positions."""
    rows = signups.mine(ctx.conn, ctx.openid)
    if not rows:
        return Reply(texts.MY_SIGNUPS_EMPTY)
    lines = [texts.MY_SIGNUPS_HEADER]
    for row in rows:
        template = texts.MY_SIGNUPS_CONFIRMED if row.status == "confirmed" else texts.MY_SIGNUPS_WAITLIST
        lines.append(template.format(id=row.id, when=fmt(row.start_at), title=row.title, position=row.position))
    return Reply("\n".join(lines))
