"""Reminders before an activity (the answers to them, `确认 N` and `请假 N`, are `answers`).

A reminder is owed to each person holding a confirmed place at each REMINDER_OFFSETS
offset before the start, if they already held the place at that moment (someone who
signs up an hour before the start just read the time and place in 报名成功). Its row
is written when the place is taken (`plan`, through `places.take`, promotions and
walk-ins), and again for everyone when the activity moves (`owe_all`), keyed
`reminder:<signup>:<offset>:<start>` so that a moved activity is reminded of anew.
The sends are scheduled on RQ's scheduler for each moment (`jobs.sweeps`); the
periodic sweep is the safety net, creating any row still missing once it falls due
(`create_due`). A reminder that can no longer go out before the start is recorded as
dropped, with the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from bot.domain import committed, notices
from bot.domain.places import Reminded, reminder_rows
from bot.domain.timefmt import fmt, to_local
from bot.runtime import queue
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


def offsets_of(session: Session) -> list[int]:
    """REMINDER_OFFSETS as the session's owner configured them (`Services`), in seconds."""
    return list(session.info.get("reminder_offsets", ()))


def plan(activity_id: int, title: str, start_at: datetime, place: str, offsets: list[int], now: datetime) -> Reminded:
    """What a place taken now is to be reminded of: the text, and each reminder still ahead."""
    return Reminded(
        text=texts.REMINDER.format(id=activity_id, title=title, when=fmt(start_at), place=place),
        fields={"title": title, "when": fmt(start_at), "time": template_time(start_at), "place": place},
        owed=[
            (f":{o}:{start_at:%m%d%H%M}", start_at - timedelta(seconds=o)) for o in sorted(offsets) if start_at - timedelta(seconds=o) > now
        ],
    )


def schedule(session: Session, activity: Activity, now: datetime | None = None) -> int:
    """Once the transaction commits, have RQ's scheduler send the activity's reminders at each moment.

    One job per activity and moment (`remind_activity`, id `remind-<activity>-<offset>-<start>`,
    so scheduling again is harmless and a moved activity gets its own); it sends every
    reminder row that has fallen due by then. Returns how many moments are ahead.
    """
    now = now or utc_now()
    moments = [
        (activity.start_at - timedelta(seconds=o), o) for o in offsets_of(session) if activity.start_at - timedelta(seconds=o) > now
    ]
    for due_at, offset in moments:
        job_id = f"remind-{activity.id}-{offset}-{activity.start_at:%Y%m%d%H%M}"
        # RQ's scheduler keeps whole seconds and runs a job once its second has begun: rounded
        # up, the job never runs before its reminders are due.
        when = due_at.replace(microsecond=0) + timedelta(seconds=1) if due_at.microsecond else due_at
        committed.owe(session, "schedule_jobs", (when, queue.REMIND_ACTIVITY, (activity.id,), job_id))
    return len(moments)


def schedule_ahead(session: Session, now: datetime | None = None) -> int:
    """Put the reminder moments of every published activity starting within the largest offset
    back on the scheduler (after a Redis flush they are gone; job ids make it harmless otherwise)."""
    now = now or utc_now()
    offsets = offsets_of(session)
    if not offsets:
        return 0
    soon = session.execute(
        select(Activity).where(
            Activity.status == "published", Activity.start_at > now, Activity.start_at <= now + timedelta(seconds=max(offsets))
        )
    ).scalars()
    return sum(schedule(session, activity, now) for activity in soon)


def owe(session: Session, activity: Activity, places: list[tuple[int, int]], now: datetime | None = None) -> int:
    """Write the reminder rows of places just taken (signup id, resident id); returns how many.

    The sends go out when each falls due (scheduled per activity and moment, and swept).
    """
    now = now or utc_now()
    reminded = plan(activity.id, activity.title, activity.start_at, activity.place, offsets_of(session), now)
    rows = reminder_rows(reminded, activity.id, places, activity.start_at, now)
    if rows:
        notices.insert_many(session, rows)
    return len(rows)


def owe_all(session: Session, activity: Activity, now: datetime | None = None) -> int:
    """Write the reminder rows of everyone holding a place (after a move: the keys carry the new start)."""
    held = session.execute(
        select(Signup.id, Signup.resident_id).where(Signup.activity_id == activity.id, Signup.status == "confirmed").order_by(Signup.id)
    ).all()
    return owe(session, activity, [tuple(row) for row in held], now)


_n = Notice.__table__


def rewrite_pending(session: Session, activity: Activity) -> int:
    """Make the activity's reminders not yet sent say what it says now (its place changed)."""
    reminded = plan(activity.id, activity.title, activity.start_at, activity.place, [], activity.start_at)
    return session.execute(
        update(_n)
        .where(_n.c.activity_id == activity.id, _n.c.kind == "reminder", _n.c.status == "pending")
        .values(text=reminded.text, fields=reminded.fields)
    ).rowcount


_later = Notice.__table__.alias("later")


def drop_overtaken(session: Session, now: datetime | None = None, activity_id: int | None = None) -> int:
    """Drop due reminders a later reminder of the same place has overtaken (after workers were down).

    Returns how many were dropped: the person gets the latest one only.
    """
    now = now or utc_now()
    overtaken = exists().where(
        _later.c.kind == "reminder",
        _later.c.status.in_(("pending", "claimed", "sent")),
        _later.c.activity_id == _n.c.activity_id,
        _later.c.resident_id == _n.c.resident_id,
        _later.c.expires_at == _n.c.expires_at,
        _later.c.due_at > _n.c.due_at,
        _later.c.due_at <= now,
    )
    query = update(_n).where(and_(_n.c.kind == "reminder", _n.c.status == "pending", _n.c.due_at <= now, overtaken))
    if activity_id is not None:
        query = query.where(_n.c.activity_id == activity_id)
    return session.execute(query.values(status="dropped", reason="overtaken by a later reminder")).rowcount
