"""What an organizer does to one person on a roster by hand: move them up from the waitlist,
take them off, check them in. Each keeps the rules of SPEC §5 (capacity, no overlapping
places, the check-in window) and tells the person, as the automatic paths do.

The caller has checked the organizer may act on the activity (`bot.domain.roles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import activities, attendance, notices, reminders, signups
from bot.domain.errors import NotFound, ScheduleConflict, UserError
from bot.domain.timefmt import fmt, fmt_time
from bot.storage.models import Resident, Signup, utc_now
from config import console_texts, texts


@dataclass(frozen=True)
class Done:
    signup: Signup
    resident: Resident
    was: str


def _signup(session: Session, activity_id: int, signup_id: int) -> Signup:
    signup = session.execute(
        select(Signup).where(Signup.id == signup_id, Signup.activity_id == activity_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if signup is None:
        raise NotFound(console_texts.REMOVE_NOT_HOLDING)
    return signup


def promote(session: Session, activity_id: int, signup_id: int, now: datetime | None = None) -> Done:
    """Move this person from the waitlist to a free place (whoever is ahead in line), and tell them."""
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    signup = _signup(session, activity_id, signup_id)
    if signup.status != "waitlisted":
        raise UserError(console_texts.PROMOTE_NOT_WAITING)
    if activity.status != "published":
        raise UserError(
            texts.SIGNUP_NOT_OPEN.format(id=activity.id, status=texts.STATUS_NAMES.get(activity.status, activity.status))
        )
    if activity.taken >= activity.capacity:
        raise UserError(console_texts.PROMOTE_FULL)
    other = signups.conflicting(session, signup.resident_id, activity)
    if other is not None:
        raise ScheduleConflict(texts.SIGNUP_CONFLICT.format(other_id=other.id, other_title=other.title))
    signups.move_up(session, activity, signup, now)
    return Done(signup, session.get(Resident, signup.resident_id), "waitlisted")


def remove(session: Session, activity_id: int, signup_id: int, now: datetime | None = None) -> Done:
    """Take this person off the roster (place or waitlist); they are told, and the line moves up."""
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    signup = _signup(session, activity_id, signup_id)
    if signup.status not in ("confirmed", "waitlisted"):
        raise UserError(console_texts.REMOVE_NOT_HOLDING)
    was = signups.release(session, activity, signup, "cancelled", now)
    notices.create(
        session,
        key=f"removed:{signup.id}:{signup.seq}",
        resident_id=signup.resident_id,
        kind="removed",
        activity_id=activity.id,
        text=console_texts.REMOVED_NOTICE.format(id=activity.id, title=activity.title, when=fmt(activity.start_at)),
        fields={**reminders.activity_fields(activity), "summary": console_texts.REMOVED_SUMMARY},
        expires_at=activity.end_at,
    )
    if was == "confirmed":
        signups.promote(session, activity, now)
    return Done(signup, session.get(Resident, signup.resident_id), was)


def check_in(session: Session, activity_id: int, signup_id: int, now: datetime | None = None) -> Done:
    """Check the person of this sign-up in by hand, under the same rules as a scan; they are told."""
    now = now or utc_now()
    resident = session.get(Resident, _signup(session, activity_id, signup_id).resident_id)
    result = attendance.check_in(session, resident, activity_id, now)
    if result.action == "in":
        activity = result.activity
        notices.create(
            session,
            key=f"checked_in_by_hand:{activity.id}:{resident.id}",
            resident_id=resident.id,
            kind="checked_in",
            activity_id=activity.id,
            text=console_texts.CHECKED_IN_NOTICE.format(id=activity.id, title=activity.title, time=fmt_time(now)),
            fields={**reminders.activity_fields(activity), "summary": console_texts.CHECKED_IN_SUMMARY},
            expires_at=activity.end_at,
        )
    return Done(result.signup, resident, result.action)
