"""Activities: creating, finding and locking them (what residents browse: `catalogue`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from bot.domain import catalogue, families, reminders
from bot.domain.errors import InvalidInput, NotFound
from bot.storage.models import ACTIVITY_KINDS, Activity
from config import texts


@dataclass(frozen=True)
class ActivityDraft:
    """Everything needed to publish an activity, validated by `create`."""

    kind: str
    title: str
    start_at: datetime  # naive UTC
    end_at: datetime
    place: str
    capacity: int
    hours: Decimal
    community_id: int | None = None
    deadline_at: datetime | None = None
    content: str = ""
    organizer_id: int | None = None
    min_age: int | None = None
    max_age: int | None = None


def validate(draft: ActivityDraft) -> None:
    """Raise InvalidInput (message in English, for the CLI) when the draft is unusable."""
    if draft.kind not in ACTIVITY_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ACTIVITY_KINDS)}")
    if not draft.title.strip() or len(draft.title) > 64:
        raise InvalidInput("title must be 1–64 characters")
    if not draft.place.strip() or len(draft.place) > 128:
        raise InvalidInput("place must be 1–128 characters")
    if draft.end_at <= draft.start_at:
        raise InvalidInput("end must be after start")
    if draft.capacity < 1 or draft.capacity > 100000:
        raise InvalidInput("capacity must be a positive number")
    if draft.hours <= 0 or draft.hours > 24 or draft.hours * 2 != int(draft.hours * 2):
        raise InvalidInput("hours must be between 0.5 and 24 in steps of 0.5")
    # Sign-ups may stay open while it runs (a two-day training), never past its end.
    if draft.deadline_at is not None and draft.deadline_at >= draft.end_at:
        raise InvalidInput("the sign-up deadline must be before the end")
    families.validate_ages(draft.min_age, draft.max_age)


def parse_hours(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise InvalidInput(f"hours {text!r} is not a number") from exc
    return value


def create(session: Session, draft: ActivityDraft) -> Activity:
    """Publish an activity and return it (with its id)."""
    validate(draft)
    activity = Activity(
        kind=draft.kind,
        title=draft.title.strip(),
        content=draft.content.strip(),
        place=draft.place.strip(),
        community_id=draft.community_id,
        start_at=draft.start_at,
        end_at=draft.end_at,
        deadline_at=draft.deadline_at or draft.start_at,
        capacity=draft.capacity,
        hours=draft.hours,
        status="published",
        signup_seq=0,
        taken=0,
        waiting=0,
        organizer_id=draft.organizer_id,
        min_age=draft.min_age,
        max_age=draft.max_age,
    )
    session.add(activity)
    session.flush()
    catalogue.changed(session)
    reminders.schedule(session, activity)
    return activity


def get(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id, options=[joinedload(Activity.community)])
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


_LOCK = select(Activity).where(Activity.id == bindparam("id")).with_for_update().execution_options(populate_existing=True)


def lock(session: Session, activity_id: int) -> Activity:
    """The activity, locked until the transaction ends: every change of its places happens under it.

    PostgreSQL takes a row lock; SQLite transactions already hold the write lock
    (BEGIN IMMEDIATE, see bot.storage.db).
    """
    activity = session.execute(_LOCK, {"id": activity_id}).scalar_one_or_none()
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity
