"""`绑定 CODE`: anyone redeems an organizer invite made with `flask --app wsgi invite organizer`."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import audit, invites
from config import texts

router = Router("binding")


@router.text("绑定")
def bind_invite(ctx: Context) -> Reply:
    """Redeem a one-time organizer invite code."""
    resident = ctx.resident
    invite = invites.redeem(ctx.session, resident, ctx.args)
    where = {"object_type": "invite", "object_id": invite.id, "community_id": invite.community_id}
    audit.record(ctx.session, resident, "chat", "bind", summary=invite.role, **where)
    scope = resident.role_community.name if invite.community_id and resident.role_community else texts.BIND_SCOPE_ALL
    text = texts.BIND_DONE.format(scope=scope)
    if not resident.registered:
        text += texts.BIND_REGISTER_HINT
    return Reply(text)
