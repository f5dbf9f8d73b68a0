"""Rosters: who holds a place or waits for one, with check-in state; phones masked.

A roster is cut into pages that each fit one passive reply (WeChat takes at most 2048
bytes of text); the organizer reads on with `名单 N 2`. Paging beats pushing the rest
as separate messages: WeChat lets a chat message be followed by at most five
customer-service messages, and a page the organizer asks for cannot arrive out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from bot.domain import activities, families
from bot.domain.residents import mask_phone
from bot.domain.roles import require_organizer
from bot.domain.timefmt import fmt, fmt_time
from bot.storage.models import Activity, Resident, Signup
from config import texts

_PROXY = aliased(Resident)
_CONFIRMED = select(func.count()).where(Signup.activity_id == bindparam("activity_id"), Signup.status == "confirmed")
# WeChat's limit on a passive text reply, with room for XML escaping of a few characters.
REPLY_BYTES = 2000


@dataclass(frozen=True)
class RosterPage:
    text: str
    page: int
    pages: int


@dataclass(frozen=True)
class Entry:
    """One person on an activity's roster: holding a place (numbered) or waiting (their place in line)."""

    signup_id: int
    resident_id: int
    status: str  # confirmed | waitlisted
    number: int  # 1-based: place on the list, or place in line
    name: str  # as printed (`bot.domain.families.display_name`)
    phone: str  # masked
    volunteer_no: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    signed_up_at: datetime


def entries(session: Session, activity_id: int, offset: int = 0, limit: int | None = None) -> list[Entry]:
    """Everyone holding a place (in sign-up order), then the waitlist in order; one query of plain columns.

    `offset`/`limit` cut a page out of that list (numbers stay those of the whole list).
    """
    query = (
        select(
            Signup.id,
            Signup.status,
            Signup.checked_in_at,
            Signup.checked_out_at,
            Signup.created_at,
            Resident.id,
            Resident.name,
            Resident.phone,
            Resident.volunteer_no,
            Resident.proxy_id,
            _PROXY.name,
            _PROXY.phone,
        )
        .join(Resident, Resident.id == Signup.resident_id)
        .outerjoin(_PROXY, _PROXY.id == Resident.proxy_id)
        .where(Signup.activity_id == activity_id, Signup.status.in_(("confirmed", "waitlisted")))
        .order_by(Signup.status, Signup.seq)  # "confirmed" sorts before "waitlisted"
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(query).all()
    out: list[Entry] = []
    numbers = {"confirmed": 0, "waitlisted": 0}
    if offset:
        # Places before this page: all of them confirmed, or all confirmed and the first in line.
        confirmed = session.execute(_CONFIRMED, {"activity_id": activity_id}).scalar_one()
        numbers = {"confirmed": min(offset, confirmed), "waitlisted": max(0, offset - confirmed)}
    for row in rows:
        signup_id, status, checked_in, checked_out, created, resident_id, name, phone, volunteer_no, proxy_id, proxy_name, proxy_phone = row
        numbers[status] += 1
        holding = status == "confirmed"
        out.append(
            Entry(
                signup_id=signup_id,
                resident_id=resident_id,
                status=status,
                number=numbers[status],
                # A family member is `小明（代报：张三）`, and has no phone of their own: the proxy is whom to call.
                name=families.display_name(name, (proxy_name or "") if proxy_id is not None else None),
                phone=mask_phone(proxy_phone if proxy_id is not None else phone),
                volunteer_no=volunteer_no or "",
                checked_in_at=checked_in if holding else None,
                checked_out_at=checked_out if holding else None,
                signed_up_at=created,
            )
        )
    return out


def _checkin_state(entry: Entry) -> str:
    if entry.checked_out_at is not None:
        checked_in = entry.checked_in_at or entry.checked_out_at
        return texts.ROSTER_CHECKED_OUT.format(checkin=fmt_time(checked_in), checkout=fmt_time(entry.checked_out_at))
    if entry.checked_in_at is not None:
        return texts.ROSTER_CHECKED_IN.format(checkin=fmt_time(entry.checked_in_at))
    return texts.ROSTER_NOT_CHECKED_IN


def lines(session: Session, activity: Activity) -> list[str]:
    """One line per person holding a place (in sign-up order), then the waitlist in order."""
    out: list[str] = []
    for entry in entries(session, activity.id):
        if entry.status == "confirmed":
            out.append(texts.ROSTER_LINE.format(no=entry.number, name=entry.name, phone=entry.phone, state=_checkin_state(entry)))
        else:
            out.append(texts.ROSTER_WAIT_LINE.format(position=entry.number, name=entry.name, phone=entry.phone))
    return out


def checked_in(session: Session, activity_id: int) -> tuple[int, int]:
    """(checked in, places taken) of the activity, in one query: the check-in display's count."""
    row = session.execute(
        select(
            func.count(Signup.checked_in_at),
            func.count(),
        ).where(Signup.activity_id == activity_id, Signup.status == "confirmed")
    ).one()
    return row[0], row[1]


def counts(session: Session, activity_id: int) -> dict[str, int]:
    rows = session.execute(select(Signup.status, func.count()).where(Signup.activity_id == activity_id).group_by(Signup.status))
    return dict(rows.all())


def _paginate(header: str, body: list[str], footer_room: int) -> list[list[str]]:
    """Greedy pages of whole lines, each with the header under REPLY_BYTES including a footer."""
    budget = REPLY_BYTES - len(header.encode()) - footer_room
    pages: list[list[str]] = [[]]
    used = 0
    for line in body:
        size = len(line.encode()) + 1
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += size
    return pages


def page(session: Session, actor: Resident, activity_id: int, number: int = 1) -> RosterPage:
    """Page `number` (1-based, clamped to the last page) of the activity's roster, for organizer `actor`."""
    require_organizer(actor, "名单")  # before the lookup: residents learn nothing about ids
    activity = activities.get(session, activity_id)
    require_organizer(actor, "名单", activity=activity)
    tally = counts(session, activity.id)
    checked_in = session.execute(
        select(func.count()).select_from(Signup).where(Signup.activity_id == activity.id, Signup.checked_in_at.is_not(None))
    ).scalar_one()
    header = texts.ROSTER_HEADER.format(
        id=activity.id,
        title=activity.title,
        when=fmt(activity.start_at),
        confirmed=tally.get("confirmed", 0),
        capacity=activity.capacity,
        waitlisted=tally.get("waitlisted", 0),
        checked_in=checked_in,
        cancelled=tally.get("cancelled", 0) + tally.get("left", 0),
    )
    body = lines(session, activity)
    if not body:
        return RosterPage(header + "\n" + texts.ROSTER_EMPTY, 1, 1)
    footer_room = len(texts.ROSTER_FOOTER_MORE.format(page=9999, pages=9999, id=activity.id, next=9999).encode()) + 2
    pages = _paginate(header, body, footer_room)
    number = min(max(number, 1), len(pages))
    text = header + "\n" + "\n".join(pages[number - 1])
    if len(pages) > 1:
        footer = texts.ROSTER_FOOTER_MORE if number < len(pages) else texts.ROSTER_FOOTER_LAST
        text += "\n" + footer.format(page=number, pages=len(pages), id=activity.id, next=number + 1)
    return RosterPage(text, number, len(pages))
