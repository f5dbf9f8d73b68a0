"""Check-in and check-out on site (SPEC §5). The codes and QR scenes that name an activity: `checkin_codes`.

The window runs from 30 minutes before the start to the end, both ends included.
Scanning the activity's QR (scene `checkin:<id>`) checks in; scanning again after the
start checks out. `签到 CODE` / `签退 CODE` do the same with the six-digit code the
organizer announces on site.

Who may check in: whoever holds a confirmed place. Someone without one (a walk-in,
or someone still on the waitlist) may check in only while the activity has a free
place, which they then take — the same capacity rule as sign-up, so an activity never
has more people on its books than places. Everyone must be registered first: the
record needs their volunteer number.

Every change happens with the activity locked (`activities.lock`), so a check-in
never races a close or another walk-in for the last place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.domain import activities, families, signups
from bot.domain.errors import CheckinRefused, NotRegistered, ScheduleConflict
from bot.domain.hours import attended_hours
from bot.domain.timefmt import fmt, fmt_range_end, fmt_time
from bot.storage.models import Activity, Resident, Signup, utc_now
from config import texts

WINDOW_BEFORE = timedelta(minutes=30)

@dataclass(frozen=True)
class Attendance:
    """What a check-in or check-out did."""

    action: str  # in | out | already_in | already_out
    activity: Activity
    signup: Signup
    walk_in: bool = False

    @property
    def hours_so_far(self) -> Decimal:
        return attended_hours(self.activity, self.signup.checked_in_at, self.signup.checked_out_at)


def window(activity: Activity) -> tuple[datetime, datetime]:
    """When check-in is open: from 30 minutes before the start to the end."""
    return activity.start_at - WINDOW_BEFORE, activity.end_at


def _check_window(activity: Activity, now: datetime) -> None:
    opens, closes = window(activity)
    if now < opens:
        raise CheckinRefused(texts.CHECKIN_TOO_EARLY.format(id=activity.id, title=activity.title, opens=fmt(opens)))
    if now > closes:
        raise CheckinRefused(texts.CHECKIN_OVER.format(id=activity.id, title=activity.title))


def _check_open(activity: Activity) -> None:
    if activity.status == "cancelled":
        raise CheckinRefused(texts.CHECKIN_CANCELLED.format(id=activity.id, title=activity.title))
    if activity.status == "closed":
        raise CheckinRefused(texts.CHECKIN_CLOSED.format(id=activity.id, title=activity.title))


def _take_free_place(session: Session, activity: Activity, resident: Resident, signup: Signup | None, now: datetime) -> Signup:
    """A walk-in (or someone still waiting) takes a free place, or is refused when none is left."""
    if signups.confirmed_count(session, activity.id) >= activity.capacity:
        raise CheckinRefused(texts.CHECKIN_NO_PLACE.format(id=activity.id, title=activity.title))
    other = signups.conflicting(session, resident.id, activity)
    if other is not None:
        raise ScheduleConflict(texts.SIGNUP_CONFLICT.format(other_id=other.id, other_title=other.title))
    activity.signup_seq += 1
    if signup is None:
        signup = Signup(activity_id=activity.id, resident_id=resident.id, status="confirmed", seq=activity.signup_seq, created_at=now)
        session.add(signup)
    else:
        signup.status = "confirmed"
        signup.seq = activity.signup_seq
        signup.cancelled_at = None
    signup.confirmed_at = now
    return signup


def party(session: Session, resident: Resident, activity_id: int) -> list[Resident]:
    """Whom one person's scan or code stands for (SPEC §11): their family members holding a
    place in the activity, and themselves — unless only their members hold places there."""
    holders = [m for m in families.members(session, resident.id) if _holds_place(session, m.id, activity_id)]
    if not holders or _holds_place(session, resident.id, activity_id):
        return [resident, *holders]
    return holders


def _holds_place(session: Session, resident_id: int, activity_id: int) -> bool:
    signup = signups.of(session, resident_id, activity_id)
    return signup is not None and signup.status == "confirmed"


def check_in(session: Session, resident: Resident, activity_id: int, now: datetime | None = None) -> Attendance:
    """Check the person in; a second check-in changes nothing and says so."""
    now = now or utc_now()
    if not resident.registered:
        raise NotRegistered(texts.CHECKIN_REGISTER_FIRST)
    activity = activities.lock(session, activity_id)
    _check_open(activity)
    signup = signups.of(session, resident.id, activity.id)
    if signup is not None and signup.status == "confirmed" and signup.checked_in_at is not None:
        return Attendance("already_out" if signup.checked_out_at else "already_in", activity, signup)
    _check_window(activity, now)
    walk_in = signup is None or signup.status != "confirmed"
    if walk_in:
        signup = _take_free_place(session, activity, resident, signup, now)
    signup.checked_in_at = now
    signup.checked_out_at = None
    session.flush()
    return Attendance("in", activity, signup, walk_in=walk_in)


def check_out(session: Session, resident: Resident, activity_id: int, now: datetime | None = None) -> Attendance:
    """Check the person out (only after the start, inside the window); a second time changes nothing."""
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    _check_open(activity)
    signup = signups.of(session, resident.id, activity.id)
    if signup is None or signup.status != "confirmed" or signup.checked_in_at is None:
        raise CheckinRefused(texts.CHECKOUT_NOT_IN.format(id=activity.id, title=activity.title))
    if signup.checked_out_at is not None:
        return Attendance("already_out", activity, signup)
    if now < activity.start_at:
        raise CheckinRefused(texts.CHECKOUT_NOT_STARTED.format(id=activity.id, title=activity.title, when=fmt(activity.start_at)))
    if now > activity.end_at:
        raise CheckinRefused(texts.CHECKOUT_OVER.format(id=activity.id, title=activity.title, end=fmt_time(activity.end_at)))
    signup.checked_out_at = now
    session.flush()
    return Attendance("out", activity, signup)


def scan(session: Session, resident: Resident, activity_id: int, now: datetime | None = None) -> Attendance:
    """The activity's QR: the first scan checks in; a scan after the start by someone checked in checks out."""
    now = now or utc_now()
    signup = signups.of(session, resident.id, activity_id)
    checked_in = signup is not None and signup.status == "confirmed" and signup.checked_in_at is not None
    if checked_in and signup.checked_out_at is None and now >= signup.activity.start_at:
        return check_out(session, resident, activity_id, now)
    return check_in(session, resident, activity_id, now)


def window_text(activity: Activity) -> str:
    """`11月28日(周六) 08:30 – 11:00`, for the organizer's `签到码` reply."""
    opens, closes = window(activity)
    return f"{fmt(opens)} – {fmt_range_end(opens, closes)}"
