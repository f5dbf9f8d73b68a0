"""Sign-up, waitlist and cancellation: the rules of SPEC §5.

Every change to an activity's places happens under the activity's lock, and keeps its
counters (`places`) exact, so capacity holds whatever the concurrency, across processes
and machines. The person's row is locked first (always in that order), so one person
cannot take two overlapping places at once from two phones.

A sign-up is one short transaction: a look at the person and the activity (which also
locks the person, on PostgreSQL), then `places.take`, which locks the activity only
for the one statement that takes the place. Refusals are decided from the look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Connection, Row, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.domain import activities, catalogue, families, notices, places, reminders
from bot.domain.errors import AlreadySignedUp, HasFamily, NotRegistered, ScheduleConflict, SignupClosed, UserError
from bot.domain.places import Taken
from bot.domain.timefmt import fmt
from bot.storage.models import Activity, Resident, Signup, utc_now
from config import texts

# What a sign-up returns: the person's sign-up, and the activity as the reply shows it.
SignupResult = Taken


@dataclass(frozen=True)
class CancelResult:
    activity: Activity
    was: str  # confirmed | waitlisted
    promoted: Signup | None


# Built once: on the busiest path, putting a statement together costs more Python than running it.
_LOCK_RESIDENT = (
    select(Resident).where(Resident.id == bindparam("resident_id")).with_for_update().execution_options(populate_existing=True)
)
_OF = select(Signup).where(Signup.activity_id == bindparam("activity_id"), Signup.resident_id == bindparam("resident_id"))
_OTHER = aliased(Activity)
_CONFLICTING = (
    select(_OTHER)
    .join(Signup, Signup.activity_id == _OTHER.id)
    .where(
        Signup.resident_id == bindparam("resident_id"),
        Signup.status == "confirmed",
        _OTHER.id != bindparam("activity_id"),
        _OTHER.status == "published",
        _OTHER.start_at < bindparam("end_at"),
        _OTHER.end_at > bindparam("start_at"),
    )
    .limit(1)
)
_AHEAD_OF = select(func.count()).where(
    Signup.activity_id == bindparam("activity_id"), Signup.status == "waitlisted", Signup.seq < bindparam("seq")
)
_WAITING_IN_ORDER = (
    select(Signup).where(Signup.activity_id == bindparam("activity_id"), Signup.status == "waitlisted").order_by(Signup.seq)
)


def _lock_resident(session: Session, resident_id: int) -> Resident:
    return session.execute(_LOCK_RESIDENT, {"resident_id": resident_id}).scalar_one()


def of(session: Session, resident_id: int, activity_id: int) -> Signup | None:
    """The person's sign-up row for the activity (whatever its status), if there ever was one."""
    return session.execute(_OF, {"activity_id": activity_id, "resident_id": resident_id}).scalar_one_or_none()


def conflicting(session: Session, resident_id: int, activity: Activity) -> Activity | None:
    """A published activity overlapping this one in which the person holds a confirmed place."""
    return session.execute(
        _CONFLICTING,
        {"resident_id": resident_id, "activity_id": activity.id, "start_at": activity.start_at, "end_at": activity.end_at},
    ).scalar_one_or_none()


def position(session: Session, signup: Signup) -> int:
    """1-based place in the waitlist; 0 when not waitlisted."""
    if signup.status != "waitlisted":
        return 0
    return _ahead_of(session, signup.activity_id, signup.seq) + 1


def _ahead_of(session: Session, activity_id: int, seq: int) -> int:
    return session.execute(_AHEAD_OF, {"activity_id": activity_id, "seq": seq}).scalar_one()


# ── signing up ───────────────────────────────────────────────────────────────
_r = Resident.__table__
_a = Activity.__table__
_s = Signup.__table__
_family = _r.alias("family")
# The person (locked, on PostgreSQL), the activity, their sign-up for it and an overlapping
# place they hold: everything a refusal is decided from, in one statement.
_LOOK = {
    who: select(
        _r.c.id.label("resident_id"),
        _r.c.registered_at,
        _r.c.erased_at,
        _a.c.id.label("activity_id"),
        _a.c.title,
        _a.c.place,
        _a.c.start_at,
        _a.c.status,
        _a.c.deadline_at,
        _a.c.min_age,
        _a.c.max_age,
        _r.c.name,
        _r.c.birth_year,
        _r.c.proxy_id,
        exists().where(_family.c.proxy_id == _r.c.id).label("has_members"),
        (_a.c.taken < _a.c.capacity).label("room"),
        _s.c.status.label("mine"),
        _s.c.seq.label("my_seq"),
        places.CLASH.label("clash_id"),
    )
    .select_from(
        _r.outerjoin(_a, _a.c.id == bindparam("activity_id")).outerjoin(_s, (_s.c.activity_id == _a.c.id) & (_s.c.resident_id == _r.c.id))
    )
    .where(person)
    .with_for_update(of=_r)
    for who, person in places.BY.items()
}


def look(session: Session, who: int | str, activity_id: int) -> Row | None:
    """The person and the activity as a sign-up sees them (None: no such person yet)."""
    return session.execute(_LOOK[type(who)], {"who": who, "activity_id": activity_id}).one_or_none()


def _refuse(session: Session, seen: Row | None, activity_id: int, now: datetime, alone: bool) -> None:
    """Raise the UserError that says why this sign-up cannot be (or HasFamily: ask for whom), if one does."""
    if seen is None or seen.activity_id is None:
        activities.get(session, activity_id)  # an unknown activity is refused before any dialog starts
    if seen is None or seen.registered_at is None or seen.erased_at is not None:
        raise NotRegistered(texts.REG_NEEDED_FOR_SIGNUP.format(activity_id=activity_id))
    if alone and seen.has_members:
        raise HasFamily()
    if seen.mine == "confirmed":
        raise AlreadySignedUp(texts.SIGNUP_ALREADY.format(id=activity_id, title=seen.title))
    if seen.mine == "waitlisted":
        position = _ahead_of(session, activity_id, seen.my_seq) + 1
        raise AlreadySignedUp(texts.SIGNUP_ALREADY_WAITLIST.format(id=activity_id, position=position))
    if seen.status != "published":
        raise SignupClosed(texts.SIGNUP_NOT_OPEN.format(id=activity_id, status=texts.STATUS_NAMES.get(seen.status, seen.status)))
    if now >= seen.deadline_at:
        raise SignupClosed(texts.SIGNUP_CLOSED.format(id=activity_id))
    refusal = families.age_refusal(
        SimpleNamespace(min_age=seen.min_age, max_age=seen.max_age, start_at=seen.start_at),
        SimpleNamespace(birth_year=seen.birth_year, is_member=seen.proxy_id is not None, name=seen.name),
    )
    if refusal:
        raise SignupClosed(refusal)
    if seen.clash_id is not None and seen.room:
        other = session.get(Activity, seen.clash_id)
        raise ScheduleConflict(texts.SIGNUP_CONFLICT.format(other_id=other.id, other_title=other.title))


def sign_up(session: Session, who: int | str, activity_id: int, now: datetime | None = None, *, alone: bool = False) -> SignupResult:
    """Take a place, or a place in line when full. Raises a UserError with the reason when refused.

    `who` is the resident's id, or the sender's openid (the chat path then needs no
    lookup of its own). At most three statements (see `places`); the reminders of the
    place are written with it. Sign-ups stay open until the activity's deadline, which
    may fall after its start (a two-day training takes people on while it runs).
    `alone`: raise HasFamily instead when the person manages family members (`报名 N`
    then asks for whom; `family_signups` signs each person up).
    """
    now = now or utc_now()
    offsets = reminders.offsets_of(session)

    def plan(activity) -> places.Reminded:  # type: ignore[no-untyped-def]
        return reminders.plan(activity_id, activity.title, activity.start_at, activity.place, offsets, now)

    seen = None
    if places.looks_first(session):
        seen = look(session, who, activity_id)
        _refuse(session, seen, activity_id, now, alone)
    # Again only if the activity changed between the look and the take (a move, a last place
    # gone to someone with a clash…), or when only a look can check it (an age range).
    for _ in range(3):
        taken = places.take(session, who, activity_id, now, plan, seen, alone)
        if taken is not None:
            if taken.confirmed:  # places left is what the catalogue shows; the line it does not
                catalogue.changed(session)
            return taken
        seen = look(session, who, activity_id)
        _refuse(session, seen, activity_id, now, alone)
    raise UserError(texts.BUSY)


def cancel(session: Session, resident_id: int, activity_id: int, now: datetime | None = None, *, status: str = "cancelled") -> CancelResult:
    """Give up a place or a place in line; the first eligible person in line moves up.

    `status` is `left` when the person answered a reminder with `请假`.
    """
    now = now or utc_now()
    _lock_resident(session, resident_id)
    activity = activities.lock(session, activity_id)
    signup = of(session, resident_id, activity_id)
    if signup is None or signup.status not in ("confirmed", "waitlisted"):
        raise UserError(texts.CANCEL_NONE.format(id=activity_id))
    if now >= activity.start_at and activity.status == "published":
        raise UserError(texts.CANCEL_STARTED.format(id=activity_id))
    was = release(session, activity, signup, status, now)
    promoted = promote(session, activity, now) if was == "confirmed" else None
    return CancelResult(activity, was, promoted)


def release(session: Session, activity: Activity, signup: Signup, status: str, now: datetime) -> str:
    """Take a place or a place in line back (`status`: cancelled or left), keeping the counters
    exact; returns what it was. The caller holds the activity's lock and moves the line up."""
    was = signup.status
    signup.status = status
    signup.cancelled_at = now
    session.flush()
    if was == "confirmed":
        places.move(session, activity, taken=-1)
        catalogue.changed(session)
    else:
        places.move(session, activity, waiting=-1)
    return was


def promote(session: Session, activity: Activity, now: datetime | None = None) -> Signup | None:
    """Fill a free place from the waitlist, first come first served, and tell the person.

    The caller holds the activity's lock. People now holding an overlapping place are
    passed over (they stay in line). Returns the promoted sign-up, if any.
    """
    now = now or utc_now()
    if activity.status != "published" or now >= activity.start_at:
        return None
    if activity.taken >= activity.capacity or not activity.waiting:
        return None
    for candidate in session.execute(_WAITING_IN_ORDER, {"activity_id": activity.id}).scalars():
        if conflicting(session, candidate.resident_id, activity) is not None:
            continue
        move_up(session, activity, candidate, now)
        return candidate
    return None


def move_up(session: Session, activity: Activity, signup: Signup, now: datetime) -> None:
    """Give this waitlisted person a place and tell them (the caller holds the activity's lock
    and has checked there is a place and no overlap).

    The notice's key is the same whoever moves them up (the line after a cancellation, an
    organizer by hand): nobody is told twice.
    """
    signup.status = "confirmed"
    signup.confirmed_at = now
    session.flush()
    places.move(session, activity, taken=1, waiting=-1)
    reminders.owe(session, activity, [(signup.id, signup.resident_id)], now)
    catalogue.changed(session)
    notices.create(
        session,
        key=f"promotion:{signup.id}:{signup.seq}",
        resident_id=signup.resident_id,
        kind="promotion",
        activity_id=activity.id,
        text=texts.PROMOTED.format(id=activity.id, title=activity.title, when=fmt(activity.start_at), place=activity.place),
        fields={"title": activity.title, "when": fmt(activity.start_at), "place": activity.place},
    )


_AHEAD = aliased(Signup)
_IN_LINE = (
    select(func.count())
    .select_from(_AHEAD)
    .where(_AHEAD.activity_id == Signup.activity_id, _AHEAD.status == "waitlisted", _AHEAD.seq < Signup.seq)
    .correlate(Signup)
    .scalar_subquery()
)
# Built once: on the busiest replies, putting a statement together costs more than running it.
_PROXY = aliased(Resident)
# The sender and their family members: a few rows found by index (openid, proxy_id).
_PEOPLE = (
    select(Resident.id, Resident.name, Resident.proxy_id)
    .where(
        or_(
            Resident.openid == bindparam("openid"),
            Resident.proxy_id == select(_PROXY.id).where(_PROXY.openid == bindparam("openid")).scalar_subquery(),
        )
    )
    # A bound SQLite will not flatten into the join, so the few people come first there too.
    .limit(families.MAX_MEMBERS + 1)
    .subquery("people")
)
_MINE = (
    select(
        Activity.id,
        Activity.title,
        Activity.start_at,
        Signup.status,
        case((Signup.status == "waitlisted", _IN_LINE + 1), else_=0).label("position"),
        # A family member's name (their place is listed with the proxy's); None for one's own.
        case((_PEOPLE.c.proxy_id.is_not(None), _PEOPLE.c.name), else_=None).label("person"),
    )
    # From those people to their sign-ups (by resident_id) to the activities: never every
    # sign-up of every activity (SQLite, without statistics, keeps this order).
    .select_from(_PEOPLE)
    .join(Signup, Signup.resident_id == _PEOPLE.c.id)
    .join(Activity, Activity.id == Signup.activity_id)
    .where(
        or_(Signup.status == "confirmed", Signup.status == "waitlisted"),
        Activity.status == "published",
        Activity.end_at > bindparam("now"),
    )
    .order_by(Activity.start_at, Activity.id, _PEOPLE.c.id)
)


def mine(conn: Connection | Session, openid: str, now: datetime | None = None) -> list[Row]:
    """The person's places and places in line for activities not yet ended, soonest first.

    Their family members' places come with them (`person` names the member). One statement
    (rows of id, title, start_at, status, position, person), so it costs a single round
    trip on `Database.autocommit()`.
    """
    return conn.execute(_MINE, {"openid": openid, "now": now or utc_now()}).all()
