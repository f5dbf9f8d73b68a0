"""The audit log: who changed what, and when, through the console or as an organizer in chat.

`record` is the one way an entry is written; it joins the caller's transaction, so an
action that rolls back leaves no entry, and one that commits always has its entry.
Admins read the log in the console (`page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session, aliased

from bot.storage.models import Activity, AuditEntry, Community, Resident, utc_now

PAGE_SIZE = 50
VIA = ("console", "chat", "cli", "system")


def _plain(value: object) -> object:
    """A value as JSON can hold it: times as ISO text, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def activity_snapshot(activity: Activity) -> dict:
    """The fields of an activity an audit entry keeps as its before/after."""
    return {
        "title": activity.title,
        "kind": activity.kind,
        "start_at": activity.start_at,
        "end_at": activity.end_at,
        "deadline_at": activity.deadline_at,
        "place": activity.place,
        "capacity": activity.capacity,
        "hours": activity.hours,
        "content": activity.content,
        "status": activity.status,
        "community_id": activity.community_id,
    }


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what differs, from two snapshots."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: Session,
    actor: Resident | None,
    via: str,
    action: str,
    *,
    summary: str = "",
    activity: Activity | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    community_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction and return it.

    `activity`, when given, names the object and its community; `before`/`after` keep
    what changed where that matters (times, places, hours).
    """
    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}")
    if activity is not None:
        object_type, object_id = "activity", activity.id
        community_id = activity.community_id
    entry = AuditEntry(
        created_at=utc_now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.name or actor.openid[:32]) if actor is not None else None,
        via=via,
        action=action,
        object_type=object_type,
        object_id=object_id,
        community_id=community_id,
        summary=summary[:500],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditPage:
    rows: list
    page: int
    more: bool


def page(conn: Connection | Session, number: int = 0, *, action: str | None = None, actor_id: int | None = None) -> AuditPage:
    """One page of the log, newest first (keyed by id, so deep pages stay cheap to find)."""
    place = aliased(Community)
    query = (
        select(AuditEntry, place.name.label("community"))
        .outerjoin(place, place.id == AuditEntry.community_id)
        .order_by(AuditEntry.id.desc())
        .offset(number * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    rows = conn.execute(query).all()
    return AuditPage(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


def count(conn: Connection | Session) -> int:
    return conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
