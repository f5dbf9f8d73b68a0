"""Running totals of the hours ledger: per activity, and per person and year.

The ledger is append-only, and `bot.domain.hours` writes every entry (a credit or a
signed correction) through `add`, in the same transaction: so the totals always equal
the sums of the entries, and the console's charts and hours pages read a thousand rows
instead of summing a million entries on each view (SPEC §8). `rebuild` recomputes them
from the ledger (a bulk import, a check).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, case, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from bot.domain.timefmt import to_local
from bot.storage.db import insert_for
from bot.storage.models import Activity, ActivityHours, HourEntry, ResidentYearHours


def add(session: Session, activity: Activity, resident_id: int, hours: Decimal, *, credit: bool) -> None:
    """Count one new ledger entry of `hours` for `resident_id` in `activity` (a credit counts a person too)."""
    ins = insert_for(session)
    people = 1 if credit else 0
    by_activity = ins(ActivityHours).values(activity_id=activity.id, hours=hours, credits=people)
    session.execute(
        by_activity.on_conflict_do_update(
            index_elements=[ActivityHours.activity_id],
            set_={"hours": ActivityHours.hours + by_activity.excluded.hours, "credits": ActivityHours.credits + people},
        )
    )
    by_year = ins(ResidentYearHours).values(resident_id=resident_id, year=to_local(activity.start_at).year, hours=hours)
    session.execute(
        by_year.on_conflict_do_update(
            index_elements=[ResidentYearHours.resident_id, ResidentYearHours.year],
            set_={"hours": ResidentYearHours.hours + by_year.excluded.hours},
        )
    )


def _local_year(session: Session, column):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("year", column + func.make_interval(0, 0, 0, 0, 8)), Integer)
    return cast(func.strftime("%Y", column, "+8 hours"), Integer)


def rebuild(session: Session) -> None:
    """Recompute every total from the ledger itself."""
    session.execute(delete(ActivityHours))
    session.execute(delete(ResidentYearHours))
    session.execute(
        insert(ActivityHours).from_select(
            ["activity_id", "hours", "credits"],
            select(
                HourEntry.activity_id, func.sum(HourEntry.hours), func.sum(case((HourEntry.kind == "credit", 1), else_=0))
            ).group_by(HourEntry.activity_id),
        )
    )
    year = _local_year(session, Activity.start_at)
    session.execute(
        insert(ResidentYearHours).from_select(
            ["resident_id", "year", "hours"],
            select(HourEntry.resident_id, year, func.sum(HourEntry.hours))
            .join(Activity, Activity.id == HourEntry.activity_id)
            .group_by(HourEntry.resident_id, year),
        )
    )
