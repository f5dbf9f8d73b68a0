"""Browsing activities: the list, the next page, one activity in full."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import activities
from bot.domain.timefmt import fmt, fmt_hours, fmt_range_end
from bot.storage.keys import key
from config import texts

router = Router("activities")

PAGE_SECONDS = 600
# The cursor of a narrowed list (`下礼拜有啥讲座`) holds the activities not shown yet.
NARROWED = "among:"


def _page_key(ctx: Context) -> str:
    return key("events_page", ctx.openid)


def _render_page(ctx: Context, page: int) -> Reply:
    rows, more = activities.upcoming(ctx.conn, page)
    if not rows:
        return Reply(texts.EVENTS_EMPTY if page == 0 else texts.EVENTS_NO_MORE)
    ctx.redis.set(_page_key(ctx), page, ex=PAGE_SECONDS)
    return _render(rows, texts.EVENTS_HEADER.format(page=page + 1), more)


def _render_among(ctx: Context, ids: tuple[int, ...], first: bool = True) -> Reply:
    """The list free text narrowed (`明天有讲座吗`): only these activities, ten at a time;
    `更多` goes on with the same ones."""
    rows, more = activities.upcoming_among(ctx.conn, ids)
    if not rows:
        return Reply(texts.EVENTS_EMPTY if first else texts.EVENTS_NO_MORE)
    shown = {row.id for row in rows}
    rest = [i for i in ids if i not in shown]
    ctx.redis.set(_page_key(ctx), NARROWED + ",".join(map(str, rest)), ex=PAGE_SECONDS)
    return _render(rows, texts.FREE_LIST_HEADER.format(count=len(rows)) if first else texts.FREE_LIST_MORE, more)


def _render(rows, header: str, more: bool) -> Reply:  # type: ignore[no-untyped-def]
    lines = [header]
    for activity in rows:
        lines.append(
            texts.EVENTS_LINE.format(
                id=activity.id, when=fmt(activity.start_at), title=activity.title, place=activity.place, places=_places(activity)
            )
        )
    lines.append(texts.EVENTS_MORE if more else texts.EVENTS_FOOTER)
    return Reply("\n".join(lines))


@router.text("活动", "详情")
@router.click("EVENTS")
def events_list(ctx: Context) -> Reply:
    """Upcoming activities, ten at a time; with a number, one activity in full."""
    if ctx.intent and (ctx.intent.number is not None or ctx.intent.word == "详情"):
        return event_detail(ctx, ctx.number(ctx.intent.word))
    if ctx.intent and ctx.intent.only is not None:
        return _render_among(ctx, ctx.intent.only)
    return _render_page(ctx, 0)


@router.text("更多", "下一页")
def events_more(ctx: Context) -> Reply:
    """The next ten activities (of the list narrowed last, if it was)."""
    current = ctx.redis.get(_page_key(ctx))
    cursor = current.decode() if isinstance(current, bytes) else current
    if cursor is not None and cursor.startswith(NARROWED):
        rest = tuple(int(i) for i in cursor.removeprefix(NARROWED).split(",") if i)
        return _render_among(ctx, rest, first=False)
    page = int(cursor) + 1 if cursor is not None else 0
    return _render_page(ctx, page)


def _places(activity) -> str:  # type: ignore[no-untyped-def]
    left = activities.places_left(activity)
    return texts.PLACES_LEFT.format(left=left) if left else texts.PLACES_FULL


def event_detail(ctx: Context, activity_id: int) -> Reply:
    activity = activities.shown(ctx.conn, activity_id)
    if activity.status == "cancelled":
        status = texts.EVENT_STATUS_CANCELLED
    elif activity.status == "closed":
        status = texts.EVENT_STATUS_CLOSED
    else:
        status = texts.EVENT_STATUS_OPEN.format(id=activity.id)
    return Reply(
        texts.EVENT_DETAIL.format(
            id=activity.id,
            title=activity.title,
            kind=texts.KIND_NAMES.get(activity.kind, activity.kind),
            when=fmt(activity.start_at),
            end=fmt_range_end(activity.start_at, activity.end_at),
            place=activity.place,
            community=activity.community or texts.WHOLE_SUBDISTRICT,
            capacity=activity.capacity,
            places=_places(activity),
            hours=fmt_hours(activity.hours),
            deadline=fmt(activity.deadline_at),
            content=texts.EVENT_DETAIL_CONTENT.format(content=activity.content) if activity.content else "",
            status=status,
        )
    )
