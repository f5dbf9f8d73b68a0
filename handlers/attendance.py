"""Answering a reminder: `确认 N` (I'll come) and `请假 N` (I can't; give my place away)."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import answers
from bot.domain.timefmt import fmt
from config import texts

router = Router("attendance")


@router.text("确认")
def attendance_confirm(ctx: Context) -> Reply:
    """Record that the sender will come to activity N."""
    answer = answers.confirm(ctx.session, ctx.resident.id, ctx.number("确认"))
    a = answer.activity
    if answer.status == "waitlisted":
        return Reply(texts.ATTEND_WAITLISTED.format(id=a.id, position=answer.position))
    return Reply(texts.ATTEND_CONFIRMED.format(id=a.id, title=a.title, when=fmt(a.start_at), place=a.place))


@router.text("请假")
def attendance_leave(ctx: Context) -> Reply:
    """Give the sender's place in activity N up; the first in line moves up and is told."""
    answer = answers.leave(ctx.session, ctx.resident.id, ctx.number("请假"))
    a = answer.activity
    if answer.status != "left":
        template = texts.LEAVE_WAITLIST_OK
    else:
        template = texts.LEAVE_OK if answer.promoted is not None else texts.LEAVE_OK_NO_WAITLIST
    return Reply(template.format(id=a.id, title=a.title))
