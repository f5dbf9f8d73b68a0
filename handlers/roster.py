"""`名单 N [页]`: the organizer's roster of one activity, a page per reply."""

from __future__ import annotations

import re

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import rosters
from bot.domain.roles import require_organizer
from config import texts

router = Router("roster")
# `名单 3 第2页` or `名单 3 2`: the page after the activity number.
_PAGE = re.compile("^(?:" + re.escape(texts.ROSTER_PAGE_PREFIX) + r")?(\d+)")


@router.text("名单")
def roster_show(ctx: Context) -> Reply:
    """Who holds a place, who waits, who has checked in; phones masked."""
    require_organizer(ctx.resident, "名单")  # refuse residents before reading any argument
    activity_id = ctx.number("名单")
    match = _PAGE.match(ctx.intent.rest if ctx.intent else "")
    page = int(match.group(1)) if match else 1
    return Reply(rosters.page(ctx.session, ctx.resident, activity_id, page).text)
