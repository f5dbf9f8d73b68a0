"""The console's list of activities: filtered, paged on the server, with places taken and waiting.

`scope` is the one community an organizer may see (`roles.scope_of`), None for all.
Each page is one statement (counts as correlated subqueries over the sign-ups' index),
plus one count for the number of pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.domain.timefmt import SHANGHAI, to_utc_naive
from bot.storage.models import Activity, Community, Signup

PAGE_SIZE = 20
SUBDISTRICT = 0  # the community filter's value for 全街道 activities


def _count_of(status: str):  # type: ignore[no-untyped-def]
    return (
        select(func.count())
        .where(Signup.activity_id == Activity.id, Signup.status == status)
        .correlate(Activity)
        .scalar_subquery()
    )


_ROWS = select(
    Activity.id,
    Activity.kind,
    Activity.title,
    Activity.place,
    Activity.start_at,
    Activity.end_at,
    Activity.capacity,
    Activity.hours,
    Activity.status,
    Activity.community_id,
    Community.name.label("community"),
    _count_of("confirmed").label("taken"),
    _count_of("waitlisted").label("waiting"),
).outerjoin(Community, Community.id == Activity.community_id)


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None
    community_id: int | None = None  # SUBDISTRICT for 全街道
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Page:
    rows: list
    number: int  # 0-based
    pages: int
    total: int


def local_day_start(day: date) -> datetime:
    """Midnight of `day` in Asia/Shanghai, as naive UTC."""
    return to_utc_naive(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI))


def in_scope(query: Select, scope: int | None) -> Select:
    return query if scope is None else query.where(Activity.community_id == scope)


def _filtered(query: Select, scope: int | None, f: Filters) -> Select:
    query = in_scope(query, scope)
    if f.date_from:
        query = query.where(Activity.start_at >= local_day_start(f.date_from))
    if f.date_to:
        query = query.where(Activity.start_at < local_day_start(f.date_to + timedelta(days=1)))
    if f.kind:
        query = query.where(Activity.kind == f.kind)
    if f.community_id == SUBDISTRICT:
        query = query.where(Activity.community_id.is_(None))
    elif f.community_id is not None:
        query = query.where(Activity.community_id == f.community_id)
    if f.status:
        query = query.where(Activity.status == f.status)
    if f.q:
        query = query.where(Activity.title.contains(f.q.strip(), autoescape=True))
    return query


def page(session: Session, scope: int | None, filters: Filters, number: int = 0, size: int = PAGE_SIZE) -> Page:
    """Page `number` of the activities matching `filters`: soonest first from a start date, else newest first."""
    ascending = filters.date_from is not None
    order = (Activity.start_at, Activity.id) if ascending else (Activity.start_at.desc(), Activity.id.desc())
    total = session.execute(_filtered(select(func.count()).select_from(Activity), scope, filters)).scalar_one()
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    # The page's ids first: an OFFSET would otherwise count the sign-ups of every row it skips.
    ids = _filtered(select(Activity.id), scope, filters).order_by(*order).offset(number * size).limit(size).subquery()
    rows = session.execute(_ROWS.join(ids, ids.c.id == Activity.id).order_by(*order)).all()
    return Page(rows, number, pages, total)


def upcoming(session: Session, scope: int | None, now: datetime, limit: int = 8) -> list:
    """The next published activities with places taken and waiting (the dashboard's first table)."""
    query = in_scope(_ROWS, scope).where(Activity.status == "published", Activity.end_at > now)
    return session.execute(query.order_by(Activity.start_at, Activity.id).limit(limit)).all()


def one(session: Session, activity_id: int):  # type: ignore[no-untyped-def]
    """One activity's row as the list shows it (with counts), or None."""
    return session.execute(_ROWS.where(Activity.id == activity_id)).one_or_none()
