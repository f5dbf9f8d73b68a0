"""The console's hours pages: the ledger by activity and by person, paged on the server.

Totals come from the ledger's running totals (`bot.domain.ledger_totals`) and counts
from per-row lookups on its indexes, so a page costs the same with a thousand entries
or a million.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.domain.activity_list import in_scope
from bot.domain.families import display_name
from bot.storage.models import Activity, ActivityHours, Community, HourEntry, Resident, ResidentYearHours

PAGE_SIZE = 30
_PROXY = aliased(Resident)


def _name(name: str | None, proxy_id: int | None, proxy_name: str | None) -> str:
    return display_name(name, (proxy_name or "") if proxy_id is not None else None)


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    pages: int
    total: int


def _paged(session: Session, count_query, rows_query, number: int, size: int) -> Page:  # type: ignore[no-untyped-def]
    total = session.execute(count_query).scalar_one()
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    rows = session.execute(rows_query.offset(number * size).limit(size)).all()
    return Page(rows, number, pages, total)


def by_activity(session: Session, scope: int | None, number: int = 0, q: str = "", size: int = PAGE_SIZE) -> Page:
    """Closed activities, newest first: people credited and net hours (the ledger's running totals)."""
    where = [Activity.status == "closed"]
    if q.strip():
        where.append(Activity.title.contains(q.strip(), autoescape=True))
    rows = in_scope(
        select(
            Activity.id,
            Activity.title,
            Activity.start_at,
            Activity.hours,
            Community.name.label("community"),
            func.coalesce(ActivityHours.credits, 0).label("people"),
            func.coalesce(ActivityHours.hours, 0).label("total"),
        )
        .outerjoin(Community, Community.id == Activity.community_id)
        .outerjoin(ActivityHours, ActivityHours.activity_id == Activity.id)
        .where(*where),
        scope,
    ).order_by(Activity.start_at.desc(), Activity.id.desc())
    count = in_scope(select(func.count()).select_from(Activity).where(*where), scope)
    return _paged(session, count, rows, number, size)


def activity_entries(session: Session, activity_id: int, number: int = 0, size: int = 100) -> Page:
    """One activity's ledger, entry by entry (credits and signed corrections), as plain rows."""
    count = select(func.count()).select_from(HourEntry).where(HourEntry.activity_id == activity_id)
    total = session.execute(count).scalar_one()
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    # The page's entries first, then their people and authors (not for every entry skipped).
    ids = (
        select(HourEntry.id).where(HourEntry.activity_id == activity_id).order_by(HourEntry.id).offset(number * size).limit(size)
    ).subquery()
    author = aliased(Resident)
    rows = session.execute(
        select(
            HourEntry.kind,
            HourEntry.hours,
            HourEntry.reason,
            HourEntry.created_at,
            Resident.volunteer_no,
            Resident.name,
            Resident.proxy_id,
            _PROXY.name,
            author.name,
        )
        .join(ids, ids.c.id == HourEntry.id)
        .join(Resident, Resident.id == HourEntry.resident_id)
        .outerjoin(_PROXY, _PROXY.id == Resident.proxy_id)
        .outerjoin(author, author.id == HourEntry.author_id)
        .order_by(HourEntry.id)
    ).all()
    shown = [
        {
            "kind": kind,
            "hours": hours,
            "reason": reason,
            "created_at": at,
            "volunteer_no": no,
            "name": _name(name, proxy_id, proxy),
            "author": by,
        }
        for kind, hours, reason, at, no, name, proxy_id, proxy, by in rows
    ]
    return Page(shown, number, pages, total)


def by_person(session: Session, scope: int | None, number: int = 0, q: str = "", size: int = PAGE_SIZE) -> Page:
    """People with their net hours in total and the activities they were credited for, in volunteer-number order."""
    total = (
        select(func.coalesce(func.sum(ResidentYearHours.hours), 0))
        .where(ResidentYearHours.resident_id == Resident.id)
        .correlate(Resident)
        .scalar_subquery()
    )
    credits = (
        select(func.count())
        .where(HourEntry.resident_id == Resident.id, HourEntry.kind == "credit")
        .correlate(Resident)
        .scalar_subquery()
    )
    where = [Resident.registered_at.is_not(None), Resident.erased_at.is_(None)]
    if scope is not None:
        where.append(Resident.community_id == scope)
    if q.strip():
        text = q.strip()
        where.append(
            Resident.name.contains(text, autoescape=True) | Resident.volunteer_no.startswith(text.upper(), autoescape=True)
        )
    count = select(func.count()).select_from(Resident).where(*where)
    total_people = session.execute(count).scalar_one()
    pages = max(1, -(-total_people // size))
    number = min(max(number, 0), pages - 1)
    # The page's people first: an OFFSET would otherwise sum the hours of everyone it skips.
    ids = select(Resident.id).where(*where).order_by(Resident.id).offset(number * size).limit(size).subquery()
    rows = session.execute(
        select(
            Resident.id,
            Resident.volunteer_no,
            Resident.name,
            Community.name.label("community"),
            credits.label("credits"),
            total.label("total"),
            Resident.proxy_id,
            _PROXY.name,
        )
        .join(ids, ids.c.id == Resident.id)
        .outerjoin(_PROXY, _PROXY.id == Resident.proxy_id)
        .outerjoin(Community, Community.id == Resident.community_id)
        .order_by(Resident.id)
    ).all()
    page = Page(rows, number, pages, total_people)
    shown = [
        (rid, no, _name(name, proxy_id, proxy), community, n, t) for rid, no, name, community, n, t, proxy_id, proxy in page.rows
    ]
    return Page(shown, page.number, page.pages, page.total)
