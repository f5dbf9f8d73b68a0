"""The ledger's running totals (per activity, per person and year) always equal the sums of its
entries, whichever way entries are written: closing an activity, a correction, a second credit refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from bot.domain import hours, ledger_totals
from bot.domain.timefmt import to_local
from bot.storage.models import Activity, ActivityHours, HourEntry, ResidentYearHours, utc_now
from tests.ledger_helpers import organizer, person, sign_up


def _sums(session) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    by_activity = {
        a: (Decimal(h), int(c))
        for a, h, c in session.execute(
            select(
                HourEntry.activity_id, func.sum(HourEntry.hours), func.sum(case((HourEntry.kind == "credit", 1), else_=0))
            ).group_by(HourEntry.activity_id)
        )
    }
    by_year: dict = {}
    for rid, start, h in session.execute(
        select(HourEntry.resident_id, Activity.start_at, HourEntry.hours).join(Activity, Activity.id == HourEntry.activity_id)
    ):
        k = (rid, to_local(start).year)
        by_year[k] = by_year.get(k, Decimal(0)) + Decimal(h)
    return by_activity, by_year


def _totals(session) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    by_activity = {t.activity_id: (Decimal(t.hours), t.credits) for t in session.execute(select(ActivityHours)).scalars()}
    by_year = {(t.resident_id, t.year): Decimal(t.hours) for t in session.execute(select(ResidentYearHours)).scalars()}
    return by_activity, by_year


def test_totals_follow_every_entry_and_a_rebuild_agrees(services, communities, make_activity):
    boss = organizer(services, community_id=communities[0])
    people = [person(services, f"p{i}", "居民" + "甲乙丙"[i], community_id=communities[0], phone=f"1380013800{i}") for i in range(3)]
    first = make_activity(start=utc_now() - timedelta(hours=3), hours="2")
    second = make_activity("健康讲座", start=utc_now() - timedelta(days=400), hours="1.5")
    for activity in (first, second):
        for rid in people:
            sign_up(services, rid, activity)
    with services.db.transaction() as session:
        from bot.storage.models import Resident, Signup

        for signup in session.execute(select(Signup)).scalars():
            signup.checked_in_at = session.get(Activity, signup.activity_id).start_at
        actor = session.get(Resident, boss)
        hours.close_activity(session, first, closed_by=actor)
        hours.close_activity(session, second, closed_by=actor, now=session.get(Activity, second).end_at)
        # A second credit is refused and counts nothing.
        assert hours.credit(session, resident_id=people[0], activity_id=first, hours=Decimal("2"), reason="again") is None
        hours.correct(
            session,
            resident_id=people[1],
            activity=session.get(Activity, first),
            total=Decimal("0.5"),
            reason="x",
            author_id=boss,
        )
    with services.db.transaction() as session:
        sums = _sums(session)
        assert _totals(session) == sums
        assert sums[0][first] == (Decimal("4.5"), 3)  # 2 + 0.5 + 2
        ledger_totals.rebuild(session)
    with services.db.transaction() as session:
        assert _totals(session) == _sums(session)
