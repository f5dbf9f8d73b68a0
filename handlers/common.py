"""Help, leaving a dialog, following and unfollowing, and what nothing else understood."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import residents
from config import texts

router = Router("common")
fallback_router = Router("fallback")


@router.text("退出", "取消操作", interrupts=True)
def exit_dialog(ctx: Context) -> Reply:
    """Leave whatever dialog the person is in."""
    return Reply(texts.EXITED if ctx.conversations.clear() else texts.NOTHING_TO_EXIT)


@router.text("帮助", "菜单", "?", "help")
@router.click("HELP")
def help_menu(ctx: Context) -> Reply:
    """What this person can say, for their role."""
    text = texts.HELP_RESIDENT
    resident = ctx.resident
    if resident.is_party_member:
        text += texts.HELP_PARTY
    if resident.role in ("organizer", "admin"):
        text += texts.HELP_ORGANIZER
    return Reply(text)


@router.event("subscribe")
def subscribe(ctx: Context) -> Reply:
    """Welcome a new (or returning) follower and say how to register."""
    resident = ctx.resident
    residents.set_subscribed(ctx.session, resident, True)
    if resident.registered:
        return Reply(texts.WELCOME_BACK)
    return Reply(texts.WELCOME.format(org=ctx.settings.ORG_NAME))


@router.event("unsubscribe")
def unsubscribe(ctx: Context) -> Reply:
    """Mark the person as gone: nothing more is pushed to them."""
    residents.set_subscribed(ctx.session, ctx.resident, False)
    ctx.conversations.clear()
    return Reply.empty()


@fallback_router.fallback()
def not_understood(ctx: Context) -> Reply:
    """Never silence: a short hint."""
    shown = ctx.text if len(ctx.text) <= 20 else ctx.text[:20] + "…"
    return Reply(texts.UNKNOWN.format(text=shown))


@fallback_router.message("voice")
def voice_unrecognised(ctx: Context) -> Reply:
    """A voice message WeChat sent no recognition for: how to speak or type instead."""
    return Reply(texts.VOICE_UNRECOGNISED)


@fallback_router.message("*")
def other_message(ctx: Context) -> Reply:
    """Images, voice, locations, links…: say what we understand."""
    return Reply(texts.NON_TEXT)


@fallback_router.event("location", "view", "templatesendjobfinish")
def quiet_event(ctx: Context) -> Reply:
    """Events that need no answer."""
    return Reply.empty()
