"""The organizer's `发布` dialog: 类型 → 标题 → 时间 → 地点 → 名额 → 时长 → 社区 → 年龄 → 确认.

Each state reads one answer (rules in `bot.domain.publishing`), a bad answer asks again, and
nothing is saved until the organizer replies `确认` to a summary of what was
understood. `退出` leaves at any step. Scoped organizers are not asked for the community.
"""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import audit, families, publishing, timeparse
from bot.domain.errors import InvalidInput
from bot.domain.roles import require_organizer
from bot.domain.timefmt import fmt, fmt_hours, fmt_range_end
from bot.storage.models import Community, utc_now
from config import texts

router = Router("publish")

DIALOG = "publish"


def _draft(ctx: Context) -> publishing.Draft:
    return publishing.Draft.from_state(ctx.conversation.data if ctx.conversation else {})


def _go(ctx: Context, state: str, draft: publishing.Draft) -> None:
    ctx.conversations.set(DIALOG, state, draft.to_state())


@router.text("发布", "发布活动")
def publish_start(ctx: Context) -> Reply:
    """Begin publishing an activity (organizers only)."""
    require_organizer(ctx.resident, "发布")
    _go(ctx, "kind", publishing.Draft(community_id=publishing.fixed_community(ctx.resident)))
    return Reply(texts.PUBLISH_ASK_KIND.format(choices=publishing.kind_choices()))


@router.step(DIALOG, "kind")
def publish_kind(ctx: Context) -> Reply:
    """Take the kind of activity."""
    draft = _draft(ctx)
    try:
        draft.kind = publishing.read_kind(ctx.text)
    except InvalidInput:
        return Reply(texts.PUBLISH_BAD_KIND.format(choices=publishing.kind_choices()))
    _go(ctx, "title", draft)
    return Reply(texts.PUBLISH_ASK_TITLE)


@router.step(DIALOG, "title")
def publish_title(ctx: Context) -> Reply:
    """Take the title."""
    draft = _draft(ctx)
    try:
        draft.title = publishing.read_title(ctx.text)
    except InvalidInput:
        return Reply(texts.PUBLISH_BAD_TITLE)
    _go(ctx, "time", draft)
    return Reply(texts.PUBLISH_ASK_TIME)


@router.step(DIALOG, "time")
def publish_time(ctx: Context) -> Reply:
    """Take the start and end, written any common way."""
    draft = _draft(ctx)
    try:
        when = publishing.read_time(ctx.text, utc_now())
    except timeparse.TimeParseError as exc:
        return Reply(texts.PUBLISH_TIME_ERRORS[exc.reason])
    draft.start, draft.end = when.start, when.end
    _go(ctx, "place", draft)
    return Reply(texts.PUBLISH_ASK_PLACE)


@router.step(DIALOG, "place")
def publish_place(ctx: Context) -> Reply:
    """Take the place."""
    draft = _draft(ctx)
    try:
        draft.place = publishing.read_place(ctx.text)
    except InvalidInput:
        return Reply(texts.PUBLISH_BAD_PLACE)
    _go(ctx, "capacity", draft)
    return Reply(texts.PUBLISH_ASK_CAPACITY)


@router.step(DIALOG, "capacity")
def publish_capacity(ctx: Context) -> Reply:
    """Take the number of places."""
    draft = _draft(ctx)
    try:
        draft.capacity = publishing.read_capacity(ctx.text)
    except InvalidInput:
        return Reply(texts.PUBLISH_BAD_CAPACITY)
    _go(ctx, "hours", draft)
    return Reply(texts.PUBLISH_ASK_HOURS.format(suggested=_suggested(draft)))


def _suggested(draft: publishing.Draft) -> str:  # start and end are known from the time step
    return fmt_hours(publishing.suggested_hours(draft.start, draft.end))


@router.step(DIALOG, "hours")
def publish_hours(ctx: Context) -> Reply:
    """Take the service hours credited."""
    draft = _draft(ctx)
    try:
        draft.hours = publishing.read_hours(ctx.text)
    except InvalidInput:
        return Reply(texts.PUBLISH_BAD_HOURS.format(suggested=_suggested(draft)))
    fixed = publishing.fixed_community(ctx.resident)
    if fixed is not None:
        draft.community_id = fixed
        _go(ctx, "ages", draft)
        return Reply(texts.PUBLISH_ASK_AGES)
    _go(ctx, "community", draft)
    _, choices = publishing.community_choices(ctx.session)
    return Reply(texts.PUBLISH_ASK_COMMUNITY.format(choices=choices))


@router.step(DIALOG, "community")
def publish_community(ctx: Context) -> Reply:
    """Take the community (or 全街道) the activity belongs to."""
    draft = _draft(ctx)
    try:
        community = publishing.read_community(ctx.session, ctx.text)
    except InvalidInput:
        _, choices = publishing.community_choices(ctx.session)
        return Reply(texts.PUBLISH_BAD_COMMUNITY.format(choices=choices))
    draft.community_id = community.id if community else None
    _go(ctx, "ages", draft)
    return Reply(texts.PUBLISH_ASK_AGES)


@router.step(DIALOG, "ages")
def publish_ages(ctx: Context) -> Reply:
    """Take the age range of who may take part (`不限` for none)."""
    draft = _draft(ctx)
    try:
        draft.min_age, draft.max_age = publishing.read_ages(ctx.text)
    except InvalidInput:
        return Reply(texts.PUBLISH_BAD_AGES)
    return _ask_confirm(ctx, draft)


def _summary(ctx: Context, draft: publishing.Draft) -> str:  # every answer is in by now
    community = ctx.session.get(Community, draft.community_id) if draft.community_id else None
    return texts.PUBLISH_CONFIRM.format(
        kind=texts.KIND_NAMES[draft.kind],
        title=draft.title,
        when=fmt(draft.start),
        end=fmt_range_end(draft.start, draft.end),
        place=draft.place,
        capacity=draft.capacity,
        hours=fmt_hours(draft.hours),
        community=community.name if community else texts.WHOLE_SUBDISTRICT,
        ages=families.range_text(draft.min_age, draft.max_age) or texts.AGES_ANY,
    )


def _ask_confirm(ctx: Context, draft: publishing.Draft) -> Reply:
    _go(ctx, "confirm", draft)
    return Reply(_summary(ctx, draft))


@router.step(DIALOG, "confirm")
def publish_confirm(ctx: Context) -> Reply:
    """`确认` saves the activity; anything else shows the summary again."""
    draft = _draft(ctx)
    if ctx.text != texts.CONFIRM_WORD:
        return Reply(texts.PUBLISH_CONFIRM_AGAIN + _summary(ctx, draft))
    try:
        activity = publishing.publish(ctx.session, ctx.resident, draft)
    except timeparse.TimeParseError:
        _go(ctx, "time", draft)  # the dialog outlived the start: ask for a new time
        return Reply(texts.PUBLISH_STARTED_MEANWHILE + texts.PUBLISH_ASK_TIME)
    audit.record(ctx.session, ctx.resident, "chat", "publish", activity=activity, summary=activity.title)
    ctx.commit()
    ctx.conversations.clear()
    return Reply(texts.PUBLISH_DONE.format(id=activity.id, title=activity.title, when=fmt(activity.start_at)))
