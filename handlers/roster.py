"""`名单 N [页]`: the organizer's roster of one activity, a page per reply."""

from __future__ import annotations

import re

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import rosters
from bot.domain.roles import require_organizer

router = Router("roster")


@router.text("名单")
def roster_show(ctx: Context) -> Reply:
    """Who holds a place, who waits, who has checked in; phones masked."""
    require_organizer(ctx.resident, "名单")  # refuse residents before reading any argument
    activity_id = ctx.number("名单")
    match = re.match(r"^(?:第)?(\d+)", ctx.intent.rest if ctx.intent else "")
    page = int(match.group(1)) if match else 1
    return Reply(rosters.page(ctx.session, ctx.resident, activity_id, page).text)
