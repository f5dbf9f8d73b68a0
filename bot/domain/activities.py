"""Activities: creating, listing and describing them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from bot.domain import families
from bot.domain.errors import InvalidInput, NotFound
from bot.storage.models import ACTIVITY_KINDS, Activity, Community, Signup, utc_now
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
    if draft.deadline_at is not None and draft.deadline_at > draft.start_at:
        raise InvalidInput("the sign-up deadline cannot be after the start")
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
        organizer_id=draft.organizer_id,
        min_age=draft.min_age,
        max_age=draft.max_age,
    )
    session.add(activity)
    session.flush()
    return activity


def get(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id, options=[joinedload(Activity.community)])
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


# Built once, like the board below: these run on every sign-up and cancellation.
_LOCK = select(Activity).where(Activity.id == bindparam("id")).with_for_update().execution_options(populate_existing=True)
_NEXT_SEQ = (
    update(Activity)
    .where(Activity.id == bindparam("activity_id"))
    # Keep updated_at: a sign-up is not a change to the activity.
    .values(signup_seq=Activity.signup_seq + 1, updated_at=Activity.updated_at)
    .returning(Activity)
    .execution_options(populate_existing=True, synchronize_session=False)
)


def lock(session: Session, activity_id: int) -> Activity:
    """The activity, locked until the transaction ends: sign-ups to it queue up here.

    PostgreSQL takes a row lock; SQLite transactions already hold the write lock
    (BEGIN IMMEDIATE, see bot.storage.db).
    """
    activity = session.execute(_LOCK, {"id": activity_id}).scalar_one_or_none()
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


def lock_next_seq(session: Session, activity_id: int) -> Activity:
    """Lock the activity (as `lock`) and take the next sign-up sequence number, in one statement.

    An UPDATE takes PostgreSQL's row lock itself; on SQLite the transaction already holds
    the write lock. A refused sign-up rolls back, so no number is spent.
    """
    activity = session.execute(_NEXT_SEQ, {"activity_id": activity_id}).scalar_one_or_none()
    if activity is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return activity


# What residents see of an activity, places taken included. Built once: putting a
# statement together costs more Python than running it, on the busiest replies.
_TAKEN = (
    select(func.count())
    .where(Signup.activity_id == Activity.id, Signup.status == "confirmed")
    .correlate(Activity)
    .scalar_subquery()
)
_BOARD = select(
    Activity.id,
    Activity.kind,
    Activity.title,
    Activity.content,
    Activity.place,
    Activity.start_at,
    Activity.end_at,
    Activity.deadline_at,
    Activity.capacity,
    Activity.hours,
    Activity.status,
    Community.name.label("community"),
    _TAKEN.label("taken"),
).outerjoin(Community, Community.id == Activity.community_id)
_UPCOMING = (
    _BOARD.where(Activity.status == "published", Activity.start_at > bindparam("now"))
    .order_by(Activity.start_at, Activity.id)
    .offset(bindparam("skip"))
    .limit(PAGE_SIZE + 1)
)
_SHOWN = _BOARD.where(Activity.id == bindparam("id"))
_UPCOMING_AMONG = (
    _BOARD.where(Activity.status == "published", Activity.start_at > bindparam("now"), Activity.id.in_(bindparam("ids", expanding=True)))
    .order_by(Activity.start_at, Activity.id)
    .limit(PAGE_SIZE + 1)
)
# What free text is resolved against (SPEC §9): every activity not over for long, any
# status, so `昨天的讲座` or a cancelled one can be named and explained.
CATALOGUE_RECENT = timedelta(days=3)
_CATALOGUE = _BOARD.where(Activity.end_at > bindparam("since")).order_by(Activity.start_at, Activity.id)


def places_left(row) -> int:  # type: ignore[no-untyped-def]
    """Free places of a row from `upcoming` or `shown`."""
    return max(0, row.capacity - row.taken)


def upcoming(conn: Connection | Session, page: int = 0, now: datetime | None = None) -> tuple[list[Row], bool]:
    """One page of published activities not yet started, soonest first, with places taken.

    One statement, so it costs a single round trip on `Database.autocommit()`. Returns the
    page and whether another page follows.
    """
    rows = conn.execute(_UPCOMING, {"now": now or utc_now(), "skip": page * PAGE_SIZE}).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def upcoming_among(conn: Connection | Session, ids: Sequence[int], now: datetime | None = None) -> tuple[list[Row], bool]:
    """Like `upcoming`'s first page, only among these activities (a list free text narrowed)."""
    if not ids:
        return [], False
    rows = conn.execute(_UPCOMING_AMONG, {"now": now or utc_now(), "ids": list(ids)}).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def catalogue(conn: Connection | Session, now: datetime | None = None) -> list[Row]:
    """Every activity not ended more than `CATALOGUE_RECENT` ago, any status, soonest first,
    with places taken (rows as `upcoming`'s). One statement: the free-text reading's only
    read of activities, so a per-process cache can stand in front of it."""
    return conn.execute(_CATALOGUE, {"since": (now or utc_now()) - CATALOGUE_RECENT}).all()


def shown(conn: Connection | Session, activity_id: int) -> Row:
    """One activity as residents see it (any status), with places taken, in one statement."""
    row = conn.execute(_SHOWN, {"id": activity_id}).one_or_none()
    if row is None:
        raise NotFound(texts.EVENT_NOT_FOUND.format(id=activity_id))
    return row
