"""Browsing activities: the list, the next page, one activity in full — from the catalogue in memory."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import catalogue
from bot.domain.errors import NotFound
from bot.domain.timefmt import fmt, fmt_hours, fmt_range_end
from bot.storage.models import utc_now
from config import texts

router = Router("activities")

# The cursor of a narrowed list (`下礼拜有啥讲座`) holds the activities not shown yet.
NARROWED = "among:"


def _render_page(ctx: Context, number: int) -> Reply:
    board = ctx.catalogue
    page = board.page(number, utc_now())
    if not page.rows:
        return Reply(texts.EVENTS_EMPTY if number == 0 else texts.EVENTS_NO_MORE)
    ctx.keep_events_cursor(number)
    return Reply(board.memo(page.key, lambda: _list_text(page, texts.EVENTS_HEADER.format(page=number + 1))))


def _render_among(ctx: Context, ids: tuple[int, ...], first: bool = True) -> Reply:
    """The list free text narrowed (`明天有讲座吗`): only these activities, ten at a time;
    `更多` goes on with the same ones."""
    board = ctx.catalogue
    page = board.among(ids, utc_now())
    if not page.rows:
        return Reply(texts.EVENTS_EMPTY if first else texts.EVENTS_NO_MORE)
    shown = {row.id for row in page.rows}
    ctx.keep_events_cursor(NARROWED + ",".join(str(i) for i in ids if i not in shown))
    header = texts.FREE_LIST_HEADER.format(count=len(page.rows)) if first else texts.FREE_LIST_MORE
    return Reply(board.memo((page.key, header), lambda: _list_text(page, header)))


def _list_text(page: catalogue.Page, header: str) -> str:
    lines = [header]
    now = utc_now()
    for activity in page.rows:
        lines.append(
            texts.EVENTS_LINE.format(
                id=activity.id, when=fmt(activity.start_at), title=activity.title, place=activity.place, places=_places(activity, now)
            )
        )
    lines.append(texts.EVENTS_MORE if page.more else texts.EVENTS_FOOTER)
    return "\n".join(lines)


@router.text("活动", "详情")
@router.click("EVENTS")
def events_list(ctx: Context) -> Reply:
    """Upcoming activities, ten at a time; with a number, one activity in full."""
    if ctx.intent and (ctx.intent.number is not None or ctx.intent.word == "详情"):
        return event_detail(ctx, ctx.number(ctx.intent.word))
    if ctx.intent and ctx.intent.only is not None:
        return _render_among(ctx, ctx.intent.only)
    return _render_page(ctx, 0)


@router.text("更多", "下一页", "再来几个", "还有呢", "后面的")
def events_more(ctx: Context) -> Reply:
    """The next ten activities (of the list narrowed last, if it was)."""
    cursor = ctx.events_cursor
    if cursor is not None and cursor.startswith(NARROWED):
        rest = tuple(int(i) for i in cursor.removeprefix(NARROWED).split(",") if i)
        return _render_among(ctx, rest, first=False)
    return _render_page(ctx, int(cursor) + 1 if cursor is not None and cursor.isdigit() else 0)


def _places_left(activity) -> str:  # type: ignore[no-untyped-def]
    left = catalogue.places_left(activity)
    return texts.PLACES_LEFT.format(left=left) if left else texts.PLACES_FULL


def _places(activity, now) -> str:  # type: ignore[no-untyped-def]
    places = _places_left(activity)
    if activity.start_at <= now:  # under way, sign-ups still open
        places += "｜" + texts.EVENTS_UNDER_WAY.format(deadline=fmt(activity.deadline_at))
    return places


def event_detail(ctx: Context, activity_id: int) -> Reply:
    board = ctx.catalogue
    # Outside the snapshot (long over, or no such id): read once for this version.
    activity = board.get(activity_id) or board.memo(("shown", activity_id), lambda: catalogue.shown(ctx.conn, activity_id))
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return Reply(board.memo(("detail", activity_id), lambda: _detail_text(activity)))


def _detail_text(activity) -> str:  # type: ignore[no-untyped-def]
    if activity.status == "cancelled":
        status = texts.EVENT_STATUS_CANCELLED
    elif activity.status == "closed":
        status = texts.EVENT_STATUS_CLOSED
    else:
        status = texts.EVENT_STATUS_OPEN.format(id=activity.id)
    return texts.EVENT_DETAIL.format(
        id=activity.id,
        title=activity.title,
        kind=texts.KIND_NAMES.get(activity.kind, activity.kind),
        when=fmt(activity.start_at),
        end=fmt_range_end(activity.start_at, activity.end_at),
        place=activity.place,
        community=activity.community or texts.WHOLE_SUBDISTRICT,
        capacity=activity.capacity,
        places=_places_left(activity),
        hours=fmt_hours(activity.hours),
        deadline=fmt(activity.deadline_at),
        content=texts.EVENT_DETAIL_CONTENT.format(content=activity.content) if activity.content else "",
        status=status,
    )
