"""On site: scanning the activity's QR, `签到 CODE`, `签退 CODE`, and the organizer's `签到码 N`."""

from __future__ import annotations

from collections.abc import Callable

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import attendance, audit, checkin_codes, residents
from bot.domain.attendance import Attendance
from bot.domain.checkin_codes import CodeGuard
from bot.domain.errors import CheckinRefused, UserError
from bot.domain.roles import organizer_activity
from bot.domain.timefmt import fmt_hours, fmt_time
from bot.storage.models import utc_now
from bot.wechat import qr as checkin_qr
from config import texts

router = Router("checkin")


def _reply(result: Attendance) -> Reply:
    a, s = result.activity, result.signup
    hint = texts.CHECKOUT_HINT_CODE.format(code=a.checkin_code) if a.checkin_code else texts.CHECKOUT_HINT_SCAN
    if utc_now() < a.start_at:  # a scan before the start only checks in again
        hint = texts.CHECKOUT_HINT_BEFORE_START.format(hint=hint)
    if result.action == "in":
        template = texts.CHECKIN_OK_WALK_IN if result.walk_in else texts.CHECKIN_OK
        return Reply(template.format(id=a.id, title=a.title, time=fmt_time(s.checked_in_at), hint=hint))
    if result.action == "out":
        return Reply(
            texts.CHECKOUT_OK.format(
                id=a.id,
                title=a.title,
                in_time=fmt_time(s.checked_in_at),
                out_time=fmt_time(s.checked_out_at),
                hours=fmt_hours(result.hours_so_far),
            )
        )
    if result.action == "already_in":
        return Reply(texts.CHECKIN_ALREADY_IN.format(id=a.id, title=a.title, time=fmt_time(s.checked_in_at), hint=hint))
    return Reply(texts.CHECKIN_ALREADY_OUT.format(id=a.id, title=a.title, time=fmt_time(s.checked_out_at)))


def _for_party(ctx: Context, activity_id: int, act: Callable[..., Attendance]) -> Reply:
    """Check in or out everyone the sender's scan or code stands for: themselves and/or the
    family members holding places. Each person's refusal is told with their name."""
    people = attendance.party(ctx.session, ctx.resident, activity_id)
    if people == [ctx.resident]:
        return _reply(act(ctx.session, ctx.resident, activity_id))
    parts, refused = [], []
    for person in people:
        try:
            with ctx.session.begin_nested():
                text = _reply(act(ctx.session, person, activity_id)).text or ""
        except CheckinRefused as exc:
            refused.append(exc)
            text = exc.message
        parts.append(text if person is ctx.resident else texts.FAMILY_FOR.format(name=person.name, text=text))
    if len(refused) == len(people):
        raise refused[0]  # the same reason for everyone: say it once
    return Reply("\n\n".join(parts))


def _by_code(ctx: Context, word: str) -> int:
    """The activity the code after `word` names; wrong codes are counted against guessing."""
    code = ctx.args.replace(" ", "")
    if not code:
        raise UserError(texts.CHECKIN_NEED_CODE.format(word=word))
    guard = CodeGuard(ctx.redis, ctx.openid)
    guard.check()
    try:
        return checkin_codes.by_code(ctx.session, code).id
    except CheckinRefused:
        guard.failed()
        raise


@router.scan("checkin")
def checkin_scan(ctx: Context) -> Reply:
    """Scanning the activity's QR on site: check in, or check out on a second scan after the start."""
    if ctx.message.event == "subscribe_scan":  # following by scanning the QR is following too
        residents.set_subscribed(ctx.session, ctx.resident, True)
    activity_id = checkin_codes.activity_of_scene(ctx.scene)
    if activity_id is None:
        raise UserError(texts.CHECKIN_BAD_SCENE)
    return _for_party(ctx, activity_id, attendance.scan)


@router.text("签到")
def checkin_code(ctx: Context) -> Reply:
    """`签到 CODE`: check in with the code announced on site."""
    activity_id = _by_code(ctx, "签到")
    return _for_party(ctx, activity_id, attendance.check_in)


@router.text("签退")
def checkout_code(ctx: Context) -> Reply:
    """`签退 CODE`: check out with the code announced on site."""
    activity_id = _by_code(ctx, "签退")
    return _for_party(ctx, activity_id, attendance.check_out)


@router.text("签到码")
def checkin_code_show(ctx: Context) -> Reply:
    """Organizer: the activity's check-in code and a link to its QR image."""
    activity = organizer_activity(ctx.session, ctx.resident, "签到码", ctx.intent.number if ctx.intent else None)
    had_code = activity.checkin_code is not None
    activity = checkin_codes.ensure_code(ctx.session, activity.id)
    if not had_code:
        audit.record(ctx.session, ctx.resident, "chat", "checkin_code", activity=activity)
    ctx.commit()  # the code is kept even if making the QR link fails below
    url = checkin_qr.link(ctx.services, activity)
    return Reply(
        texts.CHECKIN_CODE.format(
            id=activity.id, title=activity.title, code=activity.checkin_code, window=attendance.window_text(activity), url=url
        )
    )
