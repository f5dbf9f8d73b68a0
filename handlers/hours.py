"""Service hours: `时长`, `纠错`, `证明`, and the organizer's `结束 N`."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import activities, audit, certificates, disputes, family_signups, hours
from bot.domain.errors import UserError
from bot.domain.roles import is_organizer, organizer_activity, require_organizer
from bot.domain.timefmt import fmt_hours, to_local
from bot.storage.models import Resident
from config import texts

router = Router("hours")

# `处理 K 小时数 说明` after `纠错` (an organizer resolving dispute K).
_UNITS = "|".join(map(re.escape, texts.HOURS_UNITS))
_RESOLVE = re.compile("^" + re.escape(texts.DISPUTE_RESOLVE_WORD) + r"\s*#?(\d+)\s+(\d+(?:\.\d+)?)\s*(?:" + _UNITS + r")?\s*(.*)$", re.S)


@router.text("时长", "我的时长", "我的记录")
@router.click("MY_HOURS")
def hours_mine(ctx: Context) -> Reply:
    """The sender's hours this year and in total, star level, recent activities, party target (`时长 小明`: a family member's)."""
    resident = _whose(ctx)
    if not resident.registered:
        return Reply(texts.HOURS_UNREGISTERED)
    summary = hours.summary(
        ctx.session, resident, star_levels=ctx.settings.star_levels, party_target=ctx.settings.party_target_hours
    )
    lines = [
        texts.HOURS_HEADER.format(name=resident.name, volunteer_no=resident.volunteer_no),
        texts.HOURS_YEAR.format(year=summary.year_number, hours=fmt_hours(summary.year)),
        texts.HOURS_TOTAL.format(hours=fmt_hours(summary.total)),
    ]
    if summary.stars:
        lines.append(texts.HOURS_STARS.format(stars=texts.STAR * summary.stars))
    if summary.next_level is None:
        lines.append(texts.HOURS_TOP)
    elif summary.stars:
        lines.append(texts.HOURS_NEXT.format(hours=fmt_hours(summary.to_next), stars=texts.STAR * (summary.stars + 1)))
    else:
        lines.append(texts.HOURS_NO_STARS.format(next=fmt_hours(summary.next_level)))
    if summary.party_target is not None and summary.party_target > 0:
        done = summary.year
        if done >= summary.party_target:
            lines.append(texts.HOURS_PARTY_DONE.format(target=fmt_hours(summary.party_target), done=fmt_hours(done)))
        else:
            percent = int(done * 100 / summary.party_target)
            lines.append(texts.HOURS_PARTY.format(target=fmt_hours(summary.party_target), done=fmt_hours(done), percent=percent))
    if summary.recent:
        lines.append(texts.HOURS_RECENT)
        for item in summary.recent:
            lines.append(
                texts.HOURS_RECENT_LINE.format(
                    id=item.activity_id, date=f"{to_local(item.start_at):%m-%d}", title=item.title, hours=fmt_hours(item.hours)
                )
            )
        lines.append(texts.HOURS_FOOTER)
    else:
        lines.append(texts.HOURS_EMPTY)
    return Reply("\n".join(lines))


@router.text("结束")
def close_activity(ctx: Context) -> Reply:
    """Organizer: close a started activity now and credit everyone checked in."""
    activity = organizer_activity(ctx.session, ctx.resident, "结束", ctx.intent.number if ctx.intent else None)
    result = hours.close_activity(ctx.session, activity.id, closed_by=ctx.resident)
    a = result.activity
    audit.record(ctx.session, ctx.resident, "chat", "close", activity=a, after={"credited": len(result.credited), "total": result.total})
    absent = texts.CLOSE_ABSENT.format(absent=result.absent) if result.absent else ""
    return Reply(texts.CLOSE_OK.format(id=a.id, title=a.title, count=len(result.credited), total=fmt_hours(result.total), absent=absent))


@router.text("纠错")
def dispute_command(ctx: Context) -> Reply:
    """`纠错 N 说明` reports wrong hours; organizers list (`纠错`) and resolve (`纠错 处理 K 小时数 说明`)."""
    args = ctx.args
    if args.startswith("处理"):
        return _dispute_resolve(ctx, args)
    number = ctx.intent.number if ctx.intent else None
    if number is not None:
        return _dispute_open(ctx, number, ctx.intent.rest)
    if not args and is_organizer(ctx.resident):
        return _dispute_list(ctx)
    return _dispute_usage(ctx)


def _dispute_open(ctx: Context, activity_id: int, text: str) -> Reply:
    dispute = disputes.open_dispute(ctx.session, ctx.resident, activity_id, text)
    activity = activities.get(ctx.session, activity_id)
    recorded = hours.net_hours(ctx.session, ctx.resident.id, activity_id)
    return Reply(texts.DISPUTE_OPENED.format(id=activity.id, title=activity.title, dispute_id=dispute.id, hours=fmt_hours(recorded)))


def _dispute_usage(ctx: Context) -> Reply:
    lines = [texts.DISPUTE_USAGE]
    mine = disputes.mine(ctx.session, ctx.resident) if ctx.resident.registered else []
    if mine:
        lines.append(texts.DISPUTE_MINE_HEADER)
        lines.extend(texts.DISPUTE_MINE_LINE.format(dispute_id=d.id, id=a.id, title=a.title, text=d.text) for d, a in mine)
    return Reply("\n".join(lines))


def _dispute_list(ctx: Context) -> Reply:
    shown, count = disputes.open_disputes(ctx.session, ctx.resident)
    if not shown:
        return Reply(texts.DISPUTE_LIST_EMPTY)
    lines = [texts.DISPUTE_LIST_HEADER.format(count=count)]
    for item in shown:
        lines.append(
            texts.DISPUTE_LIST_LINE.format(
                dispute_id=item.dispute.id,
                id=item.activity.id,
                title=item.activity.title,
                name=item.resident.name,
                volunteer_no=item.resident.volunteer_no,
                hours=fmt_hours(item.recorded),
                text=item.dispute.text,
            )
        )
    if count > len(shown):
        lines.append(texts.DISPUTE_LIST_MORE.format(more=count - len(shown)))
    lines.append(texts.DISPUTE_LIST_FOOTER.format(example=shown[0].dispute.id))
    return Reply("\n".join(lines))


def _dispute_resolve(ctx: Context, args: str) -> Reply:
    require_organizer(ctx.resident, "纠错 处理")
    match = _RESOLVE.match(args)
    if match is None:
        raise UserError(texts.DISPUTE_RESOLVE_USAGE)
    try:
        total = Decimal(match.group(2))
    except InvalidOperation as exc:
        raise UserError(texts.DISPUTE_RESOLVE_USAGE) from exc
    result = disputes.resolve(ctx.session, ctx.resident, int(match.group(1)), total, match.group(3))
    summary = f"#{result.dispute.id} {result.resident.name}: {result.dispute.resolution}"
    audit.record(
        ctx.session, ctx.resident, "chat", "resolve", activity=result.activity, summary=summary,
        before={"hours": result.before}, after={"hours": result.after},
    )  # fmt: skip
    return Reply(
        texts.DISPUTE_RESOLVED_REPLY.format(
            dispute_id=result.dispute.id,
            name=result.resident.name,
            id=result.activity.id,
            title=result.activity.title,
            before=fmt_hours(result.before),
            after=fmt_hours(result.after),
        )
    )


def _whose(ctx: Context) -> Resident:
    """The sender, or the family member they name after the command (`时长 小明`, `证明 小明`)."""
    name = ctx.args.strip()
    return family_signups.member_named(ctx.session, ctx.resident, name) if name else ctx.resident


@router.text("证明")
def certificate_link(ctx: Context) -> Reply:
    """A link to the sender's printable service-record certificate (`证明 小明`: a family member's)."""
    resident = _whose(ctx)
    if not resident.registered:
        return Reply(texts.HOURS_UNREGISTERED)
    if not certificates.has_record(ctx.session, resident.id):
        return Reply(texts.CERTIFICATE_NONE)
    token = certificates.link_token(ctx.settings.SECRET_KEY, resident.id)
    url = f"{ctx.settings.PUBLIC_BASE_URL.rstrip('/')}/records/{token}"
    return Reply(texts.CERTIFICATE_LINK.format(url=url, days=certificates.LINK_MAX_AGE // 86400))
