"""The organizer's `停办 N 原因`: cancel an activity; everyone signed up or waiting is told why."""

from __future__ import annotations

from bot import activities, activity_changes
from bot.context import Context
from bot.errors import UserError
from bot.reply import Reply
from bot.roles import require_organizer
from bot.router import Router
from config import texts

router = Router("organizer_cancel")


@router.text("停办")
def organizer_cancel(ctx: Context) -> Reply:
    """Cancel activity N with a reason; a notice with the reason goes to each person holding or awaiting a place."""
    number = ctx.intent.number if ctx.intent else None
    if number is None:
        require_organizer(ctx.resident, "停办")
        raise UserError(texts.NEED_NUMBER.format(word="停办"))
    require_organizer(ctx.resident, "停办", activity=activities.get(ctx.session, number))
    result = activity_changes.cancel(ctx.session, number, ctx.intent.rest)
    a = result.activity
    return Reply(texts.STOP_OK.format(id=a.id, title=a.title, reason=a.cancel_reason, count=result.notified))
