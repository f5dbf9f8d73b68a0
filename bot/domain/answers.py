"""Answering a reminder: `确认 N` (I will come) and `请假 N` (I cannot: give my place away)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain import activities, signups
from bot.domain.errors import UserError
from bot.storage.models import Activity, Signup, utc_now
from config import texts


@dataclass(frozen=True)
class Answer:
    activity: Activity
    status: str  # confirmed | waitlisted | left | cancelled
    position: int = 0
    promoted: Signup | None = None


def confirm(session: Session, resident_id: int, activity_id: int, now: datetime | None = None) -> Answer:
    """`确认 N`: record that the person will come (attendance_confirmed_at); saying it twice is fine."""
    now = now or utc_now()
    activity = activities.get(session, activity_id)
    signup = signups.of(session, resident_id, activity_id)
    if signup is None or signup.status not in ("confirmed", "waitlisted"):
        raise UserError(texts.ATTEND_NONE.format(id=activity_id))
    if activity.status != "published":
        raise UserError(texts.ATTEND_NOT_OPEN.format(id=activity_id, status=texts.STATUS_NAMES.get(activity.status, activity.status)))
    if now >= activity.end_at:
        raise UserError(texts.ATTEND_ENDED.format(id=activity_id))
    if signup.status == "waitlisted":
        return Answer(activity, "waitlisted", signups.position(session, signup))
    if signup.attendance_confirmed_at is None:
        signup.attendance_confirmed_at = now
    return Answer(activity, "confirmed")


def leave(session: Session, resident_id: int, activity_id: int, now: datetime | None = None) -> Answer:
    """`请假 N`: give the place up (recorded as `left`); the first in line moves up and is told."""
    result = signups.cancel(session, resident_id, activity_id, now, status="left")
    return Answer(result.activity, "left" if result.was == "confirmed" else "cancelled", promoted=result.promoted)
