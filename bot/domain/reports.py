"""The dashboard's numbers: every figure is one aggregate query, nothing is summed in Python.

The ledger's figures come from its running totals (`bot.domain.ledger_totals`: per
activity, and per person and year), which equal the sums of the entries, so a chart
reads about a thousand rows however long the ledger grows. `scope` is the one community
an organizer may see, None for all. Months and years are Asia/Shanghai's; the database
buckets by local month itself (UTC+8, no daylight saving since 1991, so adding eight
hours is exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, case, func, literal_column, select
from sqlalchemy.orm import Session

from bot.domain.hours import year_bounds
from bot.domain.timefmt import SHANGHAI, to_local, to_utc_naive
from bot.storage.models import Activity, ActivityHours, Community, Dispute, Notice, Resident, ResidentYearHours

FAILING = ("failed", "undeliverable")


def _local_month(session: Session, column):  # type: ignore[no-untyped-def]
    """`YYYY-MM` of a stored UTC time, in Shanghai, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column + literal_column("interval '8 hours'"), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def month_bounds(now: datetime, back: int = 0) -> tuple[datetime, datetime]:
    """The Shanghai calendar month `back` months before now's, as naive UTC [start, end)."""
    local = to_local(now)
    year, month = local.year, local.month - back
    while month < 1:
        year, month = year - 1, month + 12
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=SHANGHAI)
    return to_utc_naive(start), to_utc_naive(end)


def _activities_in(scope: int | None, begin: datetime, end: datetime) -> Select:
    query = select(Activity.id).where(Activity.start_at >= begin, Activity.start_at < end)
    return query if scope is None else query.where(Activity.community_id == scope)


def hours_between(session: Session, scope: int | None, begin: datetime, end: datetime) -> Decimal:
    """Net hours credited for activities that started in [begin, end)."""
    total = session.execute(
        select(func.coalesce(func.sum(ActivityHours.hours), 0)).where(ActivityHours.activity_id.in_(_activities_in(scope, begin, end)))
    ).scalar_one()
    return Decimal(total)


def open_disputes(session: Session, scope: int | None) -> int:
    query = (
        select(func.count())
        .select_from(Dispute)
        .join(Activity, Activity.id == Dispute.activity_id)
        .where(Dispute.status == "open")
    )
    if scope is not None:
        query = query.where(Activity.community_id == scope)
    return session.execute(query).scalar_one()


def failing_notices(session: Session, scope: int | None, since: datetime) -> list[tuple[str, str, int]]:
    """Notices that could not go out since `since`: (status, reason, count), most common first."""
    query = (
        select(Notice.status, Notice.reason, func.count().label("n"))
        .where(Notice.status.in_(FAILING), Notice.due_at >= since)
        .group_by(Notice.status, Notice.reason)
        .order_by(func.count().desc())
        .limit(5)
    )
    if scope is not None:
        query = query.join(Resident, Resident.id == Notice.resident_id).where(Resident.community_id == scope)
    return [(status, reason or "", n) for status, reason, n in session.execute(query)]


@dataclass(frozen=True)
class Series:
    """A chart's data: labels along the axis, and one list of values per named series."""

    labels: list[str]
    series: dict[str, list]


def hours_by_month(session: Session, scope: int | None, now: datetime, months: int = 12) -> Series:
    """Net hours per Shanghai month (by activity start) and community, over the last `months` months."""
    begin, _ = month_bounds(now, months - 1)
    _, end = month_bounds(now)
    month = _local_month(session, Activity.start_at).label("month")
    rows = session.execute(
        select(month, Community.name, func.sum(ActivityHours.hours))
        .select_from(ActivityHours)
        .join(Activity, Activity.id == ActivityHours.activity_id)
        .outerjoin(Community, Community.id == Activity.community_id)
        .where(ActivityHours.activity_id.in_(_activities_in(scope, begin, end)))
        .group_by(month, Community.name)
    ).all()
    labels = [f"{to_local(month_bounds(now, back)[0]):%Y-%m}" for back in range(months - 1, -1, -1)]
    series: dict[str, list] = {}
    for label, community, total in rows:
        name = community or ""
        series.setdefault(name, [Decimal(0)] * months)[labels.index(label)] = Decimal(total)
    return Series(labels, dict(sorted(series.items())))


def participants_by_kind(session: Session, scope: int | None, year: int) -> dict[str, int]:
    """Participations (a person credited for an activity) per kind of activity in the year."""
    begin, end = year_bounds(year)
    rows = session.execute(
        select(Activity.kind, func.sum(ActivityHours.credits))
        .select_from(ActivityHours)
        .join(Activity, Activity.id == ActivityHours.activity_id)
        .where(ActivityHours.activity_id.in_(_activities_in(scope, begin, end)))
        .group_by(Activity.kind)
    ).all()
    return {kind: int(count) for kind, count in rows if count}


PROGRESS_BUCKETS = ("none", "under_half", "half", "done")


def party_progress(session: Session, scope: int | None, year: int, target: Decimal) -> dict[str, int]:
    """Party members by progress to the yearly target: none, under half, half or more, reached.

    A person's year is the Shanghai year of their activities, as `时长` counts it.
    """
    done = func.coalesce(ResidentYearHours.hours, 0)
    target_value = target if target > 0 else Decimal(1)
    bucket = case(
        (done >= target_value, "done"),
        (done * 2 >= target_value, "half"),
        (done > 0, "under_half"),
        else_="none",
    ).label("bucket")
    query = (
        select(bucket, func.count())
        .select_from(Resident)
        .outerjoin(ResidentYearHours, (ResidentYearHours.resident_id == Resident.id) & (ResidentYearHours.year == year))
        .where(Resident.is_party_member.is_(True), Resident.erased_at.is_(None), Resident.registered_at.is_not(None))
        .group_by(bucket)
    )
    if scope is not None:
        query = query.where(Resident.community_id == scope)
    counted = dict(session.execute(query).all())
    return {name: counted.get(name, 0) for name in PROGRESS_BUCKETS}
