"""The organizer's `停办 N 原因`: cancel an activity; everyone signed up or waiting is told why."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import activity_changes, audit
from bot.domain.roles import organizer_activity
from config import texts

router = Router("organizer_cancel")


@router.text("停办")
def organizer_cancel(ctx: Context) -> Reply:
    """Cancel activity N with a reason; a notice with the reason goes to each person holding or awaiting a place."""
    activity = organizer_activity(ctx.session, ctx.resident, "停办", ctx.intent.number if ctx.intent else None)
    result = activity_changes.cancel(ctx.session, activity.id, ctx.intent.rest if ctx.intent else "")
    a = result.activity
    audit.record(ctx.session, ctx.resident, "chat", "cancel", activity=a, summary=a.cancel_reason or "", after={"status": "cancelled"})
    return Reply(texts.STOP_OK.format(id=a.id, title=a.title, reason=a.cancel_reason, count=result.notified))
