"""Organizers messaging many people: `通知 N 文字`, `群发 …` (with a `确认` step) and `群发状态`."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import audit, broadcasts
from bot.domain.errors import UserError
from bot.domain.roles import require_organizer
from bot.domain.timefmt import fmt
from config import texts

router = Router("broadcast")

DIALOG = "broadcast"


@router.text("通知")
def notify_participants(ctx: Context) -> Reply:
    """Send a notice to everyone signed up (or waiting) for activity N."""
    require_organizer(ctx.resident, "通知")  # refuse residents before reading any argument
    activity_id = ctx.intent.number if ctx.intent else None
    if activity_id is None or not (ctx.intent and ctx.intent.rest):
        raise UserError(texts.NOTIFY_USAGE)
    result = broadcasts.notify_participants(ctx.session, ctx.resident, activity_id, ctx.intent.rest)
    if result.recipients == 0:
        return Reply(texts.NOTIFY_NOBODY.format(id=result.activity_id))
    if result.created == 0:
        return Reply(texts.NOTIFY_REPEAT.format(id=result.activity_id))
    audit.record(
        ctx.session, ctx.resident, "chat", "notify", object_type="activity", object_id=result.activity_id, summary=ctx.intent.rest[:200]
    )
    return Reply(texts.NOTIFY_DONE.format(id=result.activity_id, title=result.title, count=result.created))


@router.text("群发")
def broadcast_prepare(ctx: Context) -> Reply:
    """Name the audience and its size, and ask for `确认` before anything is sent."""
    draft = broadcasts.prepare(ctx.session, ctx.resident, ctx.args)
    if draft.size == 0:
        return Reply(texts.BROADCAST_EMPTY_AUDIENCE.format(audience=draft.audience.label))
    data = {"audience": draft.audience.code, "label": draft.audience.label, "size": draft.size, "text": draft.text}
    ctx.conversations.set(DIALOG, "confirm", data)
    return Reply(_ask(data))


def _ask(data: dict) -> str:
    return texts.BROADCAST_CONFIRM_ASK.format(audience=data["label"], size=data["size"], text=data["text"])


@router.step(DIALOG, "confirm")
def broadcast_confirm(ctx: Context) -> Reply:
    """`确认` records the broadcast and starts its fan-out; anything else asks again."""
    data = ctx.conversation.data
    if ctx.text != texts.CONFIRM_WORD:
        return Reply(texts.BROADCAST_CONFIRM_AGAIN + _ask(data))
    broadcast = broadcasts.confirm(ctx.session, ctx.resident, data["audience"], data["text"])
    summary = f"{data['label']} {broadcast.total} 人：{broadcast.text[:60]}"
    audit.record(ctx.session, ctx.resident, "chat", "broadcast", object_type="broadcast", object_id=broadcast.id, summary=summary)
    ctx.commit()
    ctx.conversations.clear()
    broadcasts.start_fan_out(ctx.redis, broadcast.id, ctx.settings.notice_claim_timeout)
    return Reply(texts.BROADCAST_STARTED.format(id=broadcast.id, size=broadcast.total))


@router.text("群发状态")
def broadcast_status(ctx: Context) -> Reply:
    """Progress and totals of the organizer's recent broadcasts."""
    rows = broadcasts.recent(ctx.session, ctx.resident)
    # Looking is also a chance to restart a fan-out whose worker died while its watchdog was lost.
    broadcasts.resume_stalled(ctx.session, ctx.redis, ctx.settings.notice_claim_timeout)
    if not rows:
        return Reply(texts.BROADCAST_STATUS_EMPTY)
    parts = [texts.BROADCAST_STATUS_HEADER]
    for row in rows:
        b = row.broadcast
        finished = b.status == "done" and row.pending == 0
        state = texts.BROADCAST_STATE_FINISHED if finished else texts.BROADCAST_STATES.get(b.status, b.status)
        shown = b.text if len(b.text) <= 20 else b.text[:20] + "…"
        line = texts.BROADCAST_STATUS_LINE.format(
            id=b.id,
            when=fmt(b.confirmed_at or b.created_at),
            audience=row.audience_label,
            text=shown,
            state=state,
            total=max(b.total, row.created),
            sent=row.sent,
            pending=row.pending + max(0, b.total - row.created) if b.status != "done" else row.pending,
            failed=row.failed,
        )
        if row.reasons:
            line += texts.BROADCAST_STATUS_REASONS.format(reasons="，".join(f"{k} {v}" for k, v in row.reasons.items()))
        parts.append(line)
    return Reply("\n\n".join(parts))
