"""`注销`: erase one's profile after a confirmation, keeping only anonymised hour totals."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import families, privacy, residents
from config import texts

router = Router("privacy")

DIALOG = "erase"


@router.text("注销")
def erase_start(ctx: Context) -> Reply:
    """Say what erasure removes and ask for `确认注销`."""
    if not ctx.resident.registered:
        return Reply(texts.ERASE_NOTHING)
    ctx.conversations.set(DIALOG, "confirm")
    members = families.members(ctx.session, ctx.resident.id)
    if members:
        names = "、".join(m.name or "" for m in members)
        return Reply(texts.ERASE_WITH_FAMILY.format(count=len(members), names=names) + texts.ERASE_ASK)
    return Reply(texts.ERASE_ASK)


@router.step(DIALOG, "confirm")
def erase_confirm(ctx: Context) -> Reply:
    """`确认注销` erases the profile; anything else asks again (`退出` gives up)."""
    if ctx.text != texts.ERASE_CONFIRM_WORD:
        return Reply(texts.ERASE_AGAIN)
    residents.mark_erased(ctx.redis, ctx.openid)  # before the commit: no contact written back under this account
    cancelled = privacy.erase(ctx.session, ctx.resident)
    ctx.commit()
    ctx.conversations.clear()
    openid = ctx.openid
    ctx.later.add(lambda pipe: residents.forget_contact(pipe, openid))  # after this message's own contact note
    return Reply(texts.ERASE_DONE.format(cancelled=texts.ERASE_CANCELLED.format(count=cancelled) if cancelled else ""))


@router.text(texts.ERASE_CONFIRM_WORD)
def erase_not_asked(ctx: Context) -> Reply:
    """`确认注销` outside the dialog (it timed out): start from `注销` so the person reads what goes."""
    return Reply(texts.ERASE_NOT_ASKED)
