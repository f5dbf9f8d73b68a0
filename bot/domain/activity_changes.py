"""Changing an activity's time or place, and cancelling it (`停办`): everyone affected is told.

Each person holding a place or waiting for one gets a notice row; reminders not yet
sent for the old time (or for a cancelled activity) are dropped with the reason.
Who may do this is checked by the caller (`bot.domain.roles.require_organizer`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import activities, catalogue, notices, reminders
from bot.domain.errors import InvalidInput, UserError
from bot.domain.timefmt import fmt
from bot.storage.models import Activity, Signup, utc_now
from config import texts

REASON_MAX = 100


@dataclass(frozen=True)
class ChangeResult:
    activity: Activity
    changed: tuple[str, ...]  # "time", "place"
    notified: int


@dataclass(frozen=True)
class CancelResult:
    activity: Activity
    notified: int


def _tell_everyone_affected(
    session: Session, activity: Activity, *, kind: str, key_suffix: str, text: str, fields: dict, now: datetime, expires_at: datetime
) -> int:
    """A `kind` notice to everyone holding or awaiting a place; returns how many people that is.

    Keys are `<kind>:<activity>:<sign-up><key_suffix>`, so saying it again creates nothing.
    """
    affected = session.execute(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status.in_(("confirmed", "waitlisted"))).order_by(Signup.seq)
    ).scalars()
    count = 0
    for signup in affected:
        notices.create(
            session,
            key=f"{kind}:{activity.id}:{signup.id}{key_suffix}",
            resident_id=signup.resident_id,
            kind=kind,
            activity_id=activity.id,
            text=text,
            fields=fields,
            due_at=now,
            expires_at=expires_at,
        )
        count += 1
    return count


def change(
    session: Session,
    activity_id: int,
    *,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    place: str | None = None,
    now: datetime | None = None,
) -> ChangeResult:
    """Move an activity and/or change its place; everyone signed up or waiting gets a `change` notice.

    Changing nothing notifies nobody, so running the same change twice tells people once.
    """
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    if activity.status != "published":
        raise UserError(texts.CHANGE_NOT_OPEN.format(id=activity.id, status=texts.STATUS_NAMES.get(activity.status, activity.status)))
    new_start = start_at or activity.start_at
    new_end = end_at or (activity.end_at + (new_start - activity.start_at) if start_at else activity.end_at)
    new_place = (place or activity.place).strip()
    if new_end <= new_start:
        raise InvalidInput("end must be after start")
    if not new_place or len(new_place) > 128:
        raise InvalidInput("place must be 1–128 characters")
    changed = tuple(
        name
        for name, differs in (
            ("time", (new_start, new_end) != (activity.start_at, activity.end_at)),
            ("place", new_place != activity.place),
        )
        if differs
    )
    if not changed:
        return ChangeResult(activity, (), 0)
    moved = new_start != activity.start_at
    if moved:
        # A deadline left at the start follows it; another stays unless it would fall at or after the new end.
        moved_deadline = activity.deadline_at == activity.start_at or activity.deadline_at >= new_end
        activity.deadline_at = new_start if moved_deadline else activity.deadline_at
        notices.drop_pending(session, activity.id, "reminder", "activity moved to another time")
    activity.start_at, activity.end_at, activity.place = new_start, new_end, new_place
    session.flush()
    if moved:  # reminders for the new time, for everyone holding a place (their keys carry the start)
        reminders.owe_all(session, activity, now)
        reminders.schedule(session, activity, now)
    else:  # the same moments: the reminders not yet sent say what it says now
        reminders.rewrite_pending(session, activity)
    catalogue.changed(session)

    what = texts.CHANGE_JOIN.join(texts.CHANGE_WHAT[name] for name in changed)
    stamp = f"{zlib.crc32(f'{new_start:%Y%m%d%H%M}|{new_end:%Y%m%d%H%M}|{new_place}'.encode()):08x}"
    text = texts.CHANGE_NOTICE.format(id=activity.id, title=activity.title, what=what, when=fmt(new_start), place=new_place)
    fields = {**reminders.activity_fields(activity), "summary": texts.CHANGE_SUMMARY.format(what=what)}
    notified = _tell_everyone_affected(
        session, activity, kind="change", key_suffix=f":{stamp}", text=text, fields=fields, now=now, expires_at=new_end
    )
    return ChangeResult(activity, changed, notified)


def cancel(session: Session, activity_id: int, reason: str, now: datetime | None = None) -> CancelResult:
    """`停办 N 原因`: cancel the activity; everyone holding a place or waiting gets a notice with the reason."""
    now = now or utc_now()
    reason = " ".join(reason.split())
    if not reason:
        raise UserError(texts.STOP_NEED_REASON.format(id=activity_id))
    if len(reason) > REASON_MAX:
        raise UserError(texts.STOP_REASON_TOO_LONG.format(max=REASON_MAX))
    activity = activities.lock(session, activity_id)
    if activity.status == "cancelled":
        raise UserError(texts.STOP_ALREADY.format(id=activity.id))
    if activity.status != "published" or now >= activity.end_at:
        raise UserError(texts.STOP_ENDED.format(id=activity.id))
    activity.status = "cancelled"
    activity.cancel_reason = reason
    notices.drop_pending(session, activity.id, "reminder", "activity cancelled")
    session.flush()
    catalogue.changed(session)

    text = texts.CANCEL_NOTICE.format(id=activity.id, title=activity.title, when=fmt(activity.start_at), reason=reason)
    fields = {**reminders.activity_fields(activity), "summary": texts.CANCEL_SUMMARY, "detail": reason}
    notified = _tell_everyone_affected(
        session, activity, kind="cancellation", key_suffix="", text=text, fields=fields, now=now, expires_at=activity.end_at
    )
    return CancelResult(activity, notified)
