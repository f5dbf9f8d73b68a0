"""Activities: creating, listing and describing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from bot.errors import InvalidInput, NotFound
from bot.models import ACTIVITY_KINDS, Activity, Community, Signup, utc_now
from config import texts

PAGE_SIZE = 10


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
    if draft.deadline_at is not None and draft.deadline_at > draft.start_at:
        raise InvalidInput("the sign-up deadline cannot be after the start")


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
        organizer_id=draft.organizer_id,
    )
    session.add(activity)
    session.flush()
    return activity


def get(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id, options=[joinedload(Activity.community)])
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


def lock(session: Session, activity_id: int) -> Activity:
    """The activity, locked until the transaction ends: sign-ups to it queue up here.

    PostgreSQL takes a row lock; SQLite transactions already hold the write lock
    (BEGIN IMMEDIATE, see bot.db).
    """
    activity = session.execute(
        select(Activity).where(Activity.id == activity_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


def lock_next_seq(session: Session, activity_id: int) -> Activity:
    """Lock the activity (as `lock`) and take the next sign-up sequence number, in one statement.

    An UPDATE takes PostgreSQL's row lock itself; on SQLite the transaction already holds
    the write lock. A refused sign-up rolls back, so no number is spent.
    """
    activity = session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        # Keep updated_at: a sign-up is not a change to the activity.
        .values(signup_seq=Activity.signup_seq + 1, updated_at=Activity.updated_at)
        .returning(Activity)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).scalar_one_or_none()
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


def confirmed_counts(session: Session, activity_ids: list[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = session.execute(
        select(Signup.activity_id, func.count())
        .where(Signup.activity_id.in_(activity_ids), Signup.status == "confirmed")
        .group_by(Signup.activity_id)
    )
    return {activity_id: count for activity_id, count in rows}


def places_left(session: Session, activity: Activity) -> int:
    return max(0, activity.capacity - confirmed_counts(session, [activity.id]).get(activity.id, 0))


def upcoming(session: Session, page: int = 0, now: datetime | None = None) -> tuple[list[tuple[Activity, int]], bool]:
    """One page of published activities not yet started, soonest first, with places left.

    Returns the page and whether another page follows.
    """
    now = now or utc_now()
    rows = list(
        session.execute(
            select(Activity)
            .options(joinedload(Activity.community))
            .where(Activity.status == "published", Activity.start_at > now)
            .order_by(Activity.start_at, Activity.id)
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).scalars()
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    counts = confirmed_counts(session, [a.id for a in rows])
    return [(a, max(0, a.capacity - counts.get(a.id, 0))) for a in rows], more


def community_name(activity: Activity) -> str:
    return activity.community.name if activity.community else texts.WHOLE_SUBDISTRICT


def community_for(session: Session, name: str | None) -> Community | None:
    """The community named, or None for the whole subdistrict; unknown names raise."""
    if not name:
        return None
    community = session.execute(select(Community).where(Community.name == name.strip())).scalar_one_or_none()
    if community is None:
        raise NotFound(f"no community named {name!r}")
    return community
