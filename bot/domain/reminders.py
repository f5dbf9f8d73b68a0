"""Reminders before an activity, and the answers to them (`确认 N`, `请假 N`).

A reminder is owed to each person holding a confirmed place at each REMINDER_OFFSETS
offset before the start, if they already held the place at that moment (someone who
signs up an hour before the start just read the time and place in 报名成功). The
sweep creates the rows as they fall due, keyed `reminder:<signup>:<offset>:<start>`
so that an activity moved to a new time is reminded of again. A reminder that can no
longer go out before the start is recorded as dropped, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import activities, notices, signups
from bot.domain.errors import UserError
from bot.domain.timefmt import fmt, to_local
from bot.storage.models import Activity, Notice, Signup, utc_now
from config import texts

# Reminders not created before the start are still recorded (as dropped) for a day.
LOOKBACK = timedelta(days=1)
KEY_CHUNK = 500


def reminder_key(signup_id: int, offset: int, start_at: datetime) -> str:
    """`reminder:<signup>:<offset seconds>:<start as MMDDHHMM UTC>`; also WeChat's client_msg_id."""
    return f"reminder:{signup_id}:{offset}:{start_at:%m%d%H%M}"


def template_time(start_at: datetime) -> str:
    """A time as WeChat's template `time` fields take it: `2026年11月28日 09:00`."""
    t = to_local(start_at)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def activity_fields(activity: Activity) -> dict:
    """What templates show of an activity (the sender trims each field to WeChat's limits)."""
    return {"title": activity.title, "when": fmt(activity.start_at), "time": template_time(activity.start_at), "place": activity.place}


def create_due(session: Session, offsets: list[int], now: datetime | None = None, activity_id: int | None = None) -> int:
    """Create the reminder rows that have fallen due; returns how many rows were written.

    For each confirmed place in a published activity: the latest offset already due is
    sent (pending), unless the activity has started (dropped); offsets before it that
    never got a row were overtaken and are recorded as dropped. Safe to run
    concurrently and repeatedly: rows are inserted once per key.
    """
    now = now or utc_now()
    if not offsets:
        return 0
    horizon = now + timedelta(seconds=max(offsets))
    query = (
        select(Signup.id, Signup.resident_id, Signup.confirmed_at, Activity)
        .join(Activity, Activity.id == Signup.activity_id)
        .where(
            Activity.status == "published",
            Activity.start_at <= horizon,
            Activity.start_at > now - LOOKBACK,
            Signup.status == "confirmed",
        )
        .order_by(Activity.id, Signup.id)
    )
    if activity_id is not None:
        query = query.where(Activity.id == activity_id)

    # Keys first (cheap), rows only for the keys not yet written: a sweep runs every
    # SWEEP_INTERVAL over every place in the next REMINDER_OFFSETS, most of them done.
    wanted: dict[str, tuple] = {}
    for signup_id, resident_id, confirmed_at, activity in session.execute(query):
        owed = [o for o in sorted(offsets) if activity.start_at - timedelta(seconds=o) <= now]
        # Only places held before the reminder's moment are reminded.
        owed = [o for o in owed if confirmed_at is None or confirmed_at <= activity.start_at - timedelta(seconds=o)]
        for i, offset in enumerate(owed):
            if now >= activity.start_at:
                status, reason = "dropped", "activity started before the reminder could be sent"
            elif i > 0:
                status, reason = "dropped", "overtaken by a later reminder"
            else:
                status, reason = "pending", None
            wanted[reminder_key(signup_id, offset, activity.start_at)] = (resident_id, activity, offset, status, reason)
    if not wanted:
        return 0
    keys = list(wanted)
    existing: set[str] = set()
    for i in range(0, len(keys), KEY_CHUNK):
        existing.update(session.execute(select(Notice.key).where(Notice.key.in_(keys[i : i + KEY_CHUNK]))).scalars())
    about: dict[int, tuple[str, dict]] = {}
    rows = []
    for key, (resident_id, activity, offset, status, reason) in wanted.items():
        if key in existing:
            continue
        if activity.id not in about:
            text = texts.REMINDER.format(id=activity.id, title=activity.title, when=fmt(activity.start_at), place=activity.place)
            about[activity.id] = (text, activity_fields(activity))
        text, fields = about[activity.id]
        rows.append(
            {
                "key": key,
                "resident_id": resident_id,
                "kind": "reminder",
                "activity_id": activity.id,
                "text": text,
                "fields": fields,
                "due_at": activity.start_at - timedelta(seconds=offset),
                "expires_at": activity.start_at,
                "status": status,
                "reason": reason,
                "attempts": 0,
                "created_at": now,
            }
        )
    for i in range(0, len(rows), KEY_CHUNK):
        notices.insert_many(session, rows[i : i + KEY_CHUNK])
    return len(rows)


def why_not_remind(
    activity_status: str | None, start_at: datetime | None, signup_status: str | None, reminded_start: datetime | None
) -> str | None:
    """Why a reminder should no longer go out (None when it should), from the activity and place as they are now.

    `reminded_start` is the start the reminder was made for (its `expires_at`).
    """
    if activity_status != "published":
        return "activity no longer published"
    if reminded_start is not None and start_at != reminded_start:
        return "activity moved to another time"
    if signup_status != "confirmed":
        return "place no longer held"
    return None


# ── answers ──────────────────────────────────────────────────────────────────
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
