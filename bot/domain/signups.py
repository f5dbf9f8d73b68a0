"""Sign-up, waitlist and cancellation: the rules of SPEC §5.

Every change to an activity's places happens with the activity locked
(`activities.lock`), so capacity holds whatever the concurrency, across processes and
machines. The resident's row is locked first (always in that order) so one person
cannot take two overlapping places at once from two phones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, bindparam, case, func, or_, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, aliased

from bot.domain import activities, families, notices, residents
from bot.domain.errors import AlreadySignedUp, NotRegistered, ScheduleConflict, SignupClosed, UserError
from bot.domain.timefmt import fmt
from bot.storage.models import Activity, Resident, Signup, utc_now
from config import texts


@dataclass(frozen=True)
class SignupResult:
    signup: Signup
    activity: Activity
    position: int  # 0 when confirmed, else the place in line (1-based)

    @property
    def confirmed(self) -> bool:
        return self.signup.status == "confirmed"


@dataclass(frozen=True)
class CancelResult:
    activity: Activity
    was: str  # confirmed | waitlisted
    promoted: Signup | None


# The statements of a sign-up, built once: on the busiest path, putting a statement
# together costs more Python than running it.
_LOCK_RESIDENT = (
    select(Resident).where(Resident.id == bindparam("resident_id")).with_for_update().execution_options(populate_existing=True)
)
# A sign-up's first statement: the person locked, with their row for the activity if any.
_WITH_SIGNUP = (
    select(Resident, Signup)
    .outerjoin(Signup, (Signup.resident_id == Resident.id) & (Signup.activity_id == bindparam("activity_id")))
    .with_for_update(of=Resident)
    .execution_options(populate_existing=True)
)
_LOCK_WITH_SIGNUP = {
    int: _WITH_SIGNUP.where(Resident.id == bindparam("who")),
    str: _WITH_SIGNUP.where(Resident.openid == bindparam("who")),
}
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
_STATUS_COUNTS = select(Signup.status, func.count()).where(Signup.activity_id == bindparam("activity_id")).group_by(Signup.status)
_CONFIRMED_COUNT = select(func.count()).where(Signup.activity_id == bindparam("activity_id"), Signup.status == "confirmed")
_AHEAD_OF = select(func.count()).where(
    Signup.activity_id == bindparam("activity_id"), Signup.status == "waitlisted", Signup.seq < bindparam("seq")
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


def confirmed_count(session: Session, activity_id: int) -> int:
    return session.execute(_CONFIRMED_COUNT, {"activity_id": activity_id}).scalar_one()


def _status_counts(session: Session, activity_id: int) -> dict[str, int]:
    """How many sign-ups of the activity are in each status, in one query."""
    return {status: count for status, count in session.execute(_STATUS_COUNTS, {"activity_id": activity_id})}


def position(session: Session, signup: Signup) -> int:
    """1-based place in the waitlist; 0 when not waitlisted."""
    if signup.status != "waitlisted":
        return 0
    return session.execute(_AHEAD_OF, {"activity_id": signup.activity_id, "seq": signup.seq}).scalar_one() + 1


def _check_open(activity: Activity, now: datetime) -> None:
    if activity.status != "published":
        raise SignupClosed(texts.SIGNUP_NOT_OPEN.format(id=activity.id, status=texts.STATUS_NAMES.get(activity.status, activity.status)))
    if now >= activity.deadline_at:
        raise SignupClosed(texts.SIGNUP_CLOSED.format(id=activity.id))


def _lock_with_signup(session: Session, who: int | str, activity_id: int) -> tuple[Resident, Signup | None]:
    """Lock the person (by id, or by openid) and fetch their sign-up for the activity, in one statement."""
    row = session.execute(_LOCK_WITH_SIGNUP[type(who)], {"who": who, "activity_id": activity_id}).one_or_none()
    if row is None and isinstance(who, str):  # a first contact nobody recorded yet
        who = residents.get_or_create(session, who).id
        row = session.execute(_LOCK_WITH_SIGNUP[int], {"who": who, "activity_id": activity_id}).one_or_none()
    if row is None:
        raise NoResultFound(f"no resident {who!r}")
    return row.Resident, row.Signup


def sign_up(session: Session, who: int | str, activity_id: int, now: datetime | None = None) -> SignupResult:
    """Take a place, or a place in line when full. Raises a UserError with the reason when refused.

    `who` is the resident's id, or the sender's openid (the chat path then needs no
    lookup of its own). Work that only concerns this person is done before the activity
    is locked (their own row lock keeps it steady), so the lock every sign-up to the
    activity queues on is held for as few statements as possible.
    """
    now = now or utc_now()
    resident, signup = _lock_with_signup(session, who, activity_id)
    resident_id = resident.id
    if not resident.registered:
        activities.get(session, activity_id)  # an unknown id is refused before any dialog starts
        raise NotRegistered(texts.REG_NEEDED_FOR_SIGNUP.format(activity_id=activity_id))
    if signup is not None and signup.status in ("confirmed", "waitlisted"):
        activity = activities.get(session, activity_id)
        if signup.status == "confirmed":
            raise AlreadySignedUp(texts.SIGNUP_ALREADY.format(id=activity.id, title=activity.title))
        raise AlreadySignedUp(texts.SIGNUP_ALREADY_WAITLIST.format(id=activity.id, position=position(session, signup)))

    # Taking the lock and the next place in line are one statement.
    activity = activities.lock_next_seq(session, activity_id)
    _check_open(activity, now)
    refusal = families.age_refusal(activity, resident)
    if refusal:
        raise SignupClosed(refusal)
    counts = _status_counts(session, activity_id)
    full = counts.get("confirmed", 0) >= activity.capacity
    if not full:
        other = conflicting(session, resident_id, activity)
        if other is not None:
            raise ScheduleConflict(texts.SIGNUP_CONFLICT.format(other_id=other.id, other_title=other.title))

    status = "waitlisted" if full else "confirmed"
    if signup is None:
        signup = Signup(activity_id=activity_id, resident_id=resident_id, status=status, seq=activity.signup_seq)
        session.add(signup)
    else:  # a cancelled sign-up comes back at the end of the line
        signup.status = status
        signup.seq = activity.signup_seq
        signup.cancelled_at = None
        signup.created_at = now
    signup.confirmed_at = now if status == "confirmed" else None
    session.flush()
    # The newest seq is last in line: its place follows from the count taken under the lock.
    return SignupResult(signup, activity, counts.get("waitlisted", 0) + 1 if full else 0)


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
    was = signup.status
    signup.status = status
    signup.cancelled_at = now
    session.flush()
    promoted = promote(session, activity, now) if was == "confirmed" else None
    return CancelResult(activity, was, promoted)


def promote(session: Session, activity: Activity, now: datetime | None = None) -> Signup | None:
    """Fill a free place from the waitlist, first come first served, and tell the person.

    The caller holds the activity's lock. People now holding an overlapping place are
    passed over (they stay in line). Returns the promoted sign-up, if any.
    """
    now = now or utc_now()
    if activity.status != "published" or now >= activity.start_at:
        return None
    if confirmed_count(session, activity.id) >= activity.capacity:
        return None
    waiting = session.execute(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status == "waitlisted").order_by(Signup.seq)
    ).scalars()
    for candidate in waiting:
        if conflicting(session, candidate.resident_id, activity) is not None:
            continue
        candidate.status = "confirmed"
        candidate.confirmed_at = now
        session.flush()
        notices.create(
            session,
            key=f"promotion:{candidate.id}:{candidate.seq}",
            resident_id=candidate.resident_id,
            kind="promotion",
            activity_id=activity.id,
            text=texts.PROMOTED.format(id=activity.id, title=activity.title, when=fmt(activity.start_at), place=activity.place),
            fields={"title": activity.title, "when": fmt(activity.start_at), "place": activity.place},
        )
        return candidate
    return None


_AHEAD = aliased(Signup)
_IN_LINE = (
    select(func.count())
    .select_from(_AHEAD)
    .where(_AHEAD.activity_id == Signup.activity_id, _AHEAD.status == "waitlisted", _AHEAD.seq < Signup.seq)
    .correlate(Signup)
    .scalar_subquery()
)
# Built once: on the busiest replies, putting a statement together costs more than running it.
_SENDER = aliased(Resident)
_MINE = (
    select(
        Activity.id,
        Activity.title,
        Activity.start_at,
        Signup.status,
        case((Signup.status == "waitlisted", _IN_LINE + 1), else_=0).label("position"),
        # A family member's name (their place is listed with the proxy's); None for one's own.
        case((Resident.proxy_id.is_not(None), Resident.name), else_=None).label("person"),
    )
    .join(Signup, Signup.activity_id == Activity.id)
    .join(Resident, Resident.id == Signup.resident_id)
    .where(
        # The sender, or a family member of theirs (both by index: openid, proxy_id).
        or_(
            Resident.openid == bindparam("openid"),
            Resident.proxy_id == select(_SENDER.id).where(_SENDER.openid == bindparam("openid")).scalar_subquery(),
        ),
        Signup.status.in_(("confirmed", "waitlisted")),
        Activity.status == "published",
        Activity.end_at > bindparam("now"),
    )
    .order_by(Activity.start_at, Activity.id, Resident.id)
)


def mine(conn: Connection | Session, openid: str, now: datetime | None = None) -> list[Row]:
    """The person's places and places in line for activities not yet ended, soonest first.

    Their family members' places come with them (`person` names the member). One statement
    (rows of id, title, start_at, status, position, person), so it costs a single round
    trip on `Database.autocommit()`.
    """
    return conn.execute(_MINE, {"openid": openid, "now": now or utc_now()}).all()
