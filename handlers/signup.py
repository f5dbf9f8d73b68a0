"""Signing up, cancelling and seeing one's own sign-ups — for oneself and for one's family members."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import activities, families, family_signups, signups
from bot.domain.errors import NotRegistered, UserError
from bot.domain.timefmt import fmt
from config import texts
from handlers import registration

router = Router("signup")

FOR_WHOM = "signup_for"


def sign_up(ctx: Context, activity_id: int) -> Reply:
    """Sign the sender up for one activity; the reply says 报名成功 or 候补第K位."""
    result = signups.sign_up(ctx.session, ctx.openid, activity_id)
    a = result.activity
    if result.confirmed:
        return Reply(texts.SIGNUP_OK.format(id=a.id, title=a.title, when=fmt(a.start_at), place=a.place))
    return Reply(texts.SIGNUP_WAITLIST.format(id=a.id, title=a.title, position=result.position))


def _family_reply(outcomes: list[family_signups.Outcome]) -> Reply:
    """One line per person: a place, a place in line, or why not."""
    lines = []
    activity = next((o.result.activity for o in outcomes if o.result), None)
    if activity is not None:
        a = activity
        lines.append(texts.FAMILY_SIGNUP_HEADER.format(id=a.id, title=a.title, when=fmt(a.start_at), place=a.place))
    for o in outcomes:
        who = texts.SIGNUP_SELF if o.is_self else o.person.name
        if o.refusal:
            lines.append(texts.FAMILY_SIGNUP_REFUSED.format(who=who, reason=o.refusal))
        elif o.result.confirmed:
            lines.append(texts.FAMILY_SIGNUP_OK.format(who=who))
        else:
            lines.append(texts.FAMILY_SIGNUP_WAITING.format(who=who, position=o.result.position))
    if activity is not None:
        lines.append(texts.FAMILY_SIGNUP_FOOTER.format(id=activity.id))
    return Reply("\n".join(lines))


def _for_people(ctx: Context, activity_id: int, answer: str) -> Reply:
    proxy = ctx.resident
    people = family_signups.read_people(answer, proxy, families.members(ctx.session, proxy.id))
    return _family_reply(family_signups.sign_up(ctx.session, proxy, activity_id, people))


@router.text("报名")
def signup_start(ctx: Context) -> Reply:
    """Sign up for activity N; for whom is asked when the sender has family members (`报名 N 小明` says it)."""
    activity_id = ctx.number("报名")
    names = ctx.intent.rest if ctx.intent else ""
    try:
        if names:
            return _for_people(ctx, activity_id, names)
        if not families.has_members(ctx.conn, ctx.openid):
            return sign_up(ctx, activity_id)
        members = families.members(ctx.session, ctx.resident.id)
    except NotRegistered as exc:
        ctx.rollback()
        return Reply(exc.message).then(registration.start(ctx, then_signup=activity_id))
    activity = activities.get(ctx.session, activity_id)  # an unknown number is refused before asking
    options = family_signups.choices(ctx.resident, members)
    ctx.conversations.set(FOR_WHOM, "who", {"activity_id": activity_id})
    return Reply(texts.SIGNUP_FOR_WHOM.format(id=activity.id, title=activity.title, choices=_numbered(options)))


def _numbered(options: list) -> str:
    return "\n".join(f"{i}. {label}" for i, (label, _) in enumerate(options, 1))


@router.step(FOR_WHOM, "who")
def signup_for_whom(ctx: Context) -> Reply:
    """The answer to "for whom?": numbers, names, 本人 or 全部."""
    activity_id = int(ctx.conversation.data["activity_id"])
    try:
        reply = _for_people(ctx, activity_id, ctx.text)
    except UserError:
        options = family_signups.choices(ctx.resident, families.members(ctx.session, ctx.resident.id))
        return Reply(texts.SIGNUP_FOR_WHOM_AGAIN.format(choices=_numbered(options)))
    ctx.conversations.clear()
    return reply


@router.text("取消")
def signup_cancel(ctx: Context) -> Reply:
    """Give up a place (or a place in line); the first in line moves up and is told. `取消 N 小明` for a family member."""
    activity_id = ctx.number("取消")
    names = ctx.intent.rest if ctx.intent else ""
    person = family_signups.member_named(ctx.session, ctx.resident, names) if names else ctx.resident
    result = signups.cancel(ctx.session, person.id, activity_id)
    template = texts.CANCEL_OK if result.was == "confirmed" else texts.CANCEL_WAITLIST_OK
    reply = template.format(id=result.activity.id, title=result.activity.title)
    if person is not ctx.resident:
        reply = texts.FAMILY_FOR.format(name=person.name, text=reply)
    return Reply(reply)


@router.text("我的报名")
@router.click("MY_SIGNUPS")
def my_signups(ctx: Context) -> Reply:
    """The sender's (and their family's) upcoming places and waitlist positions."""
    rows = signups.mine(ctx.conn, ctx.openid)
    if not rows:
        return Reply(texts.MY_SIGNUPS_EMPTY)
    lines = [texts.MY_SIGNUPS_HEADER]
    for row in rows:
        template = texts.MY_SIGNUPS_CONFIRMED if row.status == "confirmed" else texts.MY_SIGNUPS_WAITLIST
        line = template.format(id=row.id, when=fmt(row.start_at), title=row.title, position=row.position)
        lines.append(texts.MY_SIGNUPS_MEMBER.format(name=row.person, line=line) if row.person else line)
    return Reply("\n".join(lines))
