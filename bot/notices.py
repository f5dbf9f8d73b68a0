"""Notices as rows: every message owed to a person is written here before any job exists.

The database is the record of what must be sent; Redis only carries the work. A row
is created once per key (a retry of whatever created it creates nothing new); the
delivery jobs and the sweep that finds due rows live in `jobs/`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import Notice, utc_now


def create(
    session: Session,
    *,
    key: str,
    resident_id: int,
    kind: str,
    text: str,
    activity_id: int | None = None,
    broadcast_id: int | None = None,
    fields: dict | None = None,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Notice:
    """Record a notice owed to a person; returns the existing row if the key was used."""
    existing = session.execute(select(Notice).where(Notice.key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    notice = Notice(
        key=key,
        resident_id=resident_id,
        kind=kind,
        text=text,
        activity_id=activity_id,
        broadcast_id=broadcast_id,
        fields=fields or {},
        due_at=due_at or utc_now(),
        expires_at=expires_at,
        status="pending",
        attempts=0,
    )
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:
        existing = session.execute(select(Notice).where(Notice.key == key)).scalar_one()
        return existing
    return notice
