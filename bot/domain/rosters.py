"""Rosters: who holds a place or waits for one, with check-in state; phones masked.

A roster is cut into pages that each fit one passive reply (WeChat takes at most 2048
bytes of text); the organizer reads on with `名单 N 2`. Paging beats pushing the rest
as separate messages: WeChat lets a chat message be followed by at most five
customer-service messages, and a page the organizer asks for cannot arrive out of order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from bot.domain import activities, families
from bot.domain.residents import mask_phone
from bot.domain.roles import require_organizer
from bot.domain.timefmt import fmt, fmt_time
from bot.storage.models import Activity, Resident, Signup
from config import texts

# WeChat's limit on a passive text reply, with room for XML escaping of a few characters.
REPLY_BYTES = 2000


@dataclass(frozen=True)
class RosterPage:
    text: str
    page: int
    pages: int


def _checkin_state(signup: Signup) -> str:
    if signup.checked_out_at is not None:
        checked_in = signup.checked_in_at or signup.checked_out_at
        return texts.ROSTER_CHECKED_OUT.format(checkin=fmt_time(checked_in), checkout=fmt_time(signup.checked_out_at))
    if signup.checked_in_at is not None:
        return texts.ROSTER_CHECKED_IN.format(checkin=fmt_time(signup.checked_in_at))
    return texts.ROSTER_NOT_CHECKED_IN


def person_name(person: Resident) -> str:
    """A person as every list shows them: `小明（代报：张三）` for a family member (the proxy loaded)."""
    proxy = person.proxy
    return families.display_name(person.name, proxy.name if proxy is not None else None)


def lines(session: Session, activity: Activity) -> list[str]:
    """One line per person holding a place (in sign-up order), then the waitlist in order."""
    rows = session.execute(
        select(Signup)
        .options(joinedload(Signup.resident).joinedload(Resident.proxy))
        .where(Signup.activity_id == activity.id, Signup.status.in_(("confirmed", "waitlisted")))
        .order_by(Signup.status, Signup.seq)  # "confirmed" sorts before "waitlisted"
    ).scalars()
    out: list[str] = []
    confirmed_no = waiting_no = 0
    for signup in rows:
        person = signup.resident
        name = person_name(person)
        # A family member has no phone of their own: the proxy is whom to call.
        phone = mask_phone(person.proxy.phone if person.proxy is not None else person.phone)
        if signup.status == "confirmed":
            confirmed_no += 1
            out.append(texts.ROSTER_LINE.format(no=confirmed_no, name=name, phone=phone, state=_checkin_state(signup)))
        else:
            waiting_no += 1
            out.append(texts.ROSTER_WAIT_LINE.format(position=waiting_no, name=name, phone=phone))
    return out


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
