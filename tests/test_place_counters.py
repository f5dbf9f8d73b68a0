"""The activity's counters (places taken, people in line) stay exact through every path that changes a place.

A sign-up reads and bumps them instead of counting rows (SPEC §8's budget), so each
path — sign-up, cancel, 请假, promotion, walk-in check-in, erasure, a family's sign-up,
停办, 结束 — must keep them equal to the rows. Checked after each step, on both databases.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.domain import activity_changes, answers, attendance, families, family_signups, hours, privacy, residents, signups
from bot.storage.models import Activity, Resident, Signup, utc_now
from tests.ledger_helpers import activity_at, person


def assert_counters_exact(db) -> None:  # type: ignore[no-untyped-def]
    db.expire_all()
    by_status = select(Signup.activity_id, Signup.status, func.count()).group_by(Signup.activity_id, Signup.status)
    counted = {(activity_id, status): n for activity_id, status, n in db.execute(by_status)}
    for activity in db.execute(select(Activity)).scalars():
        assert (activity.taken, activity.waiting) == (
            counted.get((activity.id, "confirmed"), 0),
            counted.get((activity.id, "waitlisted"), 0),
        ), f"activity {activity.id}"


def _people(services, community_id: int, prefix: str, phone_prefix: str, names: str) -> dict:  # type: ignore[no-untyped-def]
    """A registered resident for each character of `names`, by that character."""
    return {
        name: person(services, f"{prefix}-{name}", f"居民{name}", community_id=community_id, phone=f"{phone_prefix}000000{i:02d}")
        for i, name in enumerate(names)
    }


def test_every_path_that_changes_a_place_keeps_the_counters_exact(services, db, communities, wx):
    soon = utc_now() + timedelta(minutes=10)  # check-in opens 30 minutes before the start
    later = utc_now() + timedelta(days=3)
    on_site = activity_at(services, soon, capacity=2, title="楼院义务清扫")
    lecture = activity_at(services, later, capacity=2, title="反诈骗讲座")
    people = _people(services, communities[0], "c", "138", "甲乙丙丁戊己")

    def run(step) -> None:  # type: ignore[no-untyped-def]
        with services.db.transaction() as session:
            step(session)
        assert_counters_exact(db)

    for name in "甲乙丙":  # two places, one in line
        run(lambda s, n=name: signups.sign_up(s, people[n], lecture))
    assert db.get(Activity, lecture).waiting == 1
    run(lambda s: signups.cancel(s, people["甲"], lecture))  # 丙 is promoted
    run(lambda s: signups.sign_up(s, people["丁"], lecture))  # in line again
    run(lambda s: signups.cancel(s, people["丁"], lecture))  # leaves the line
    run(lambda s: signups.sign_up(s, people["甲"], lecture))  # back, at the end of the line
    run(lambda s: answers.leave(s, people["乙"], lecture))  # 请假: 甲 moves up
    run(lambda s: privacy.erase(s, s.get(Resident, people["甲"])))  # erasure gives the place up

    # On site: someone in line checks into a place that came free; a walk-in takes another.
    clash = activity_at(services, soon, capacity=5, title="文艺汇演")  # at the same time
    before = soon - timedelta(hours=1)
    run(lambda s: signups.sign_up(s, people["丁"], on_site, now=before))
    run(lambda s: signups.sign_up(s, people["戊"], on_site, now=before))
    run(lambda s: signups.sign_up(s, people["己"], on_site, now=before))  # in line…
    run(lambda s: signups.sign_up(s, people["己"], clash, now=before))  # …and busy elsewhere
    run(lambda s: signups.cancel(s, people["戊"], on_site, now=before))  # 己 is passed over: a place stays free
    assert (db.get(Activity, on_site).taken, db.get(Activity, on_site).waiting) == (1, 1)
    run(lambda s: signups.cancel(s, people["己"], clash, now=before))
    run(lambda s: attendance.check_in(s, s.get(Resident, people["己"]), on_site, soon - timedelta(minutes=5)))  # from the line
    run(lambda s: signups.cancel(s, people["丁"], on_site, now=before))  # nobody waiting now
    run(lambda s: attendance.check_in(s, s.get(Resident, people["丙"]), on_site, soon - timedelta(minutes=5)))  # a walk-in
    assert (db.get(Activity, on_site).taken, db.get(Activity, on_site).waiting) == (2, 0)

    # A family signs up together: two places left for three people, the third waits.
    with services.db.transaction() as session:
        proxy = session.get(Resident, people["丁"])
        for member in ("小明", "小红"):
            families.add(session, proxy, families.NewMember(name=member, relation="child", birth_year=2015))
    family_day = activity_at(services, later + timedelta(days=1), capacity=2, title="儿童读书会")
    def whole_family(s) -> None:  # type: ignore[no-untyped-def]
        proxy = s.get(Resident, people["丁"])
        family_signups.sign_up(s, proxy, family_day, [proxy, *families.members(s, proxy.id)])

    run(whole_family)
    assert (db.get(Activity, family_day).taken, db.get(Activity, family_day).waiting) == (2, 1)

    run(lambda s: activity_changes.cancel(s, lecture, "场地维修"))  # 停办: the rows keep their statuses
    with services.db.transaction() as session:
        organizer = residents.grant_role(session, "c-organizer", "organizer").id
    run(lambda s: hours.close_activity(s, on_site, closed_by=s.get(Resident, organizer), now=soon + timedelta(minutes=30)))  # 结束


def test_the_consoles_changes_by_hand_keep_the_counters_exact(services, db, communities):
    """The console's roster (promote, remove) and its form (more places) change places too."""
    from bot.domain import activity_edits, roster_actions
    from tests.organizer_helpers import make_organizer

    start = utc_now() + timedelta(days=4)
    visit = activity_at(services, start, capacity=1, title="敬老院慰问")
    clash = activity_at(services, start, capacity=5, title="文艺汇演")
    people = _people(services, communities[0], "k", "139", "子丑寅卯")
    organizer = make_organizer(services, "k-organizer")

    def run(step) -> None:  # type: ignore[no-untyped-def]
        with services.db.transaction() as session:
            step(session)
        assert_counters_exact(db)

    def signup_id(name: str) -> int:
        return db.execute(select(Signup.id).where(Signup.activity_id == visit, Signup.resident_id == people[name])).scalar_one()

    for name in "子丑寅":
        run(lambda s, n=name: signups.sign_up(s, people[n], visit))  # one place, two in line
    run(lambda s: roster_actions.remove(s, visit, signup_id("子")))  # 丑 moves up
    run(lambda s: signups.sign_up(s, people["卯"], clash))
    run(lambda s: signups.sign_up(s, people["卯"], visit))  # in line, busy elsewhere

    def more_places(s) -> None:  # type: ignore[no-untyped-def]
        activity = s.get(Activity, visit)
        form = activity_edits.Form(
            kind=activity.kind, title=activity.title, start_at=activity.start_at, end_at=activity.end_at, place=activity.place,
            capacity=3, hours=activity.hours, community_id=activity.community_id, content=activity.content,
        )  # fmt: skip
        activity_edits.edit(s, s.get(Resident, organizer), visit, form)

    run(more_places)  # 寅 moves up; 卯 is passed over (busy elsewhere)
    assert (db.get(Activity, visit).taken, db.get(Activity, visit).waiting) == (2, 1)
    run(lambda s: signups.cancel(s, people["卯"], clash))
    run(lambda s: roster_actions.promote(s, visit, signup_id("卯")))  # by hand, into the free place
    assert (db.get(Activity, visit).taken, db.get(Activity, visit).waiting) == (3, 0)
