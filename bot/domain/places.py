"""Places as counters on the activity row: taking them in one short transaction, keeping them exact.

`activities.taken` (confirmed sign-ups) and `activities.waiting` (people in line) change
with every change of a sign-up's status, always under the activity's lock, so a sign-up
never counts rows: the statement that locks the activity reads and bumps them.
`signup_seq` orders the line: each sign-up takes the next number.

`take` is a sign-up's write. Its statements are built for a list of people taken in
order (today one; a family's sign-up passes several): the first `capacity - taken` of
them confirmed, the rest in line in the order given, the counters bumped by as many.

- PostgreSQL, one statement: `WITH placed AS (INSERT … SELECT … FOR UPDATE), counted
  AS (UPDATE activities …), reminded AS (INSERT INTO notices …) SELECT …`. FOR UPDATE
  waits for the activity's lock and then reads its newest row, so the counters the
  new rows are chosen from are exact; the lock is held for this one statement (and
  the commit). The reminders' text was rendered from the caller's look at the
  activity, so the statement takes nothing unless the activity still says that
  (`start_at`, `place`, `title`).
- SQLite, three statements: the sign-up row (`INSERT … SELECT` from the activity), the
  counters (`UPDATE … RETURNING`), the reminder rows. SQLite's transactions hold the
  write lock from their `BEGIN IMMEDIATE`, so nobody's statements come in between.

Both check, inside the statement, whatever may have changed since anyone looked: the
activity open and before its deadline, the person registered, not signed up already,
and holding no overlapping place (unless only a place in line is left). An age range
(SPEC §11) is checked from the caller's look; without one only an activity open to
every age is taken. When a check fails nothing is written and `take` returns None:
the caller looks, says why, or takes again with what it saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    JSON,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.storage.db import Precompiled
from bot.storage.models import Activity, Notice, Resident, Signup

_a = Activity.__table__
_s = Signup.__table__
_r = Resident.__table__
_n = Notice.__table__
ACTIVE = ("confirmed", "waitlisted")


def _active(status):  # type: ignore[no-untyped-def]
    # Spelled out rather than IN (…): an IN list is an "expanding" parameter, which a
    # statement compiled once to text (`bot.storage.db.Precompiled`) cannot carry.
    return or_(*(status == value for value in ACTIVE))


@dataclass(frozen=True)
class Reminded:
    """What a place's reminders say, and when they fall due (`reminders.plan`)."""

    text: str
    fields: dict
    # (key suffix `:<offset>:<start>`, due_at) for each reminder still ahead.
    owed: list[tuple[str, datetime]]


@dataclass(frozen=True)
class Taken:
    """What `take` did for one person: their sign-up, and the activity as the reply shows it."""

    signup_id: int
    status: str  # confirmed | waitlisted
    position: int  # 0 when confirmed, else the place in line (1-based)
    activity_id: int
    title: str
    start_at: datetime
    place: str

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


def move(session: Session, activity: Activity, *, taken: int = 0, waiting: int = 0) -> None:
    """Count a change of sign-up statuses on `activity`, which the caller holds locked.

    Written at once and relative to the row (`taken = taken + n`); the loaded object is
    updated to match without being marked changed (`updated_at` says when the activity
    was edited, not when someone signed up).
    """
    if not (taken or waiting):
        return
    session.execute(_MOVE, {"activity_id": activity.id, "d_taken": taken, "d_waiting": waiting})
    set_committed_value(activity, "taken", activity.taken + taken)
    set_committed_value(activity, "waiting", activity.waiting + waiting)


_MOVE = (
    update(_a)
    .where(_a.c.id == bindparam("activity_id"))
    .values(taken=_a.c.taken + bindparam("d_taken"), waiting=_a.c.waiting + bindparam("d_waiting"), updated_at=_a.c.updated_at)
)


# ── the checks, made inside the statement that takes the place ─────────────────
_mine = _s.alias("mine")
_theirs = _s.alias("theirs")
_other = _a.alias("other")
# A place the person holds in another published activity overlapping this one (correlated to a person and an activity).
CLASH = (
    select(_other.c.id)
    .select_from(_other.join(_theirs, _theirs.c.activity_id == _other.c.id))
    .where(
        _theirs.c.resident_id == _r.c.id,
        _theirs.c.status == "confirmed",
        _other.c.id != _a.c.id,
        _other.c.status == "published",
        _other.c.start_at < _a.c.end_at,
        _other.c.end_at > _a.c.start_at,
    )
    .limit(1)
    .correlate(_a, _r)
    .scalar_subquery()
)
_ROOM = _a.c.taken < _a.c.capacity
_OPEN = and_(
    _a.c.id == bindparam("activity_id"),
    _a.c.status == "published",
    _a.c.deadline_at > bindparam("now"),
    _r.c.registered_at.is_not(None),
    _r.c.erased_at.is_(None),
    ~exists().where(_mine.c.activity_id == _a.c.id, _mine.c.resident_id == _r.c.id, _active(_mine.c.status)),
    # Someone holding an overlapping place may still wait in line, never take a place.
    or_(~_ROOM, CLASH.is_(None)),
)
_REMINDER_COLUMNS = (
    "key", "resident_id", "kind", "activity_id", "text", "fields", "due_at", "expires_at", "status", "attempts", "created_at",
)  # fmt: skip
_SIGNUP_COLUMNS = ["activity_id", "resident_id", "status", "seq", "created_at", "updated_at", "confirmed_at", "cancelled_at"]


# What only the caller's look decides (an age range, `families.age_refusal`; whom a person
# with family members signs up for): a take made without a look goes ahead only when
# there is nothing of it to decide.
_ANY_AGE = and_(_a.c.min_age.is_(None), _a.c.max_age.is_(None))
_family = _r.alias("family")
_ALONE = ~exists().where(_family.c.proxy_id == _r.c.id)
UNLOOKED = {False: and_(_OPEN, _ANY_AGE), True: and_(_OPEN, _ANY_AGE, _ALONE)}


def _chosen(person, conditions=_OPEN):  # type: ignore[no-untyped-def]
    """The sign-up row the activity's counters give the person (none when a check fails)."""
    return select(
        _a.c.id,
        _r.c.id,
        case((_ROOM, literal("confirmed")), else_=literal("waitlisted")),
        _a.c.signup_seq + 1,
        bindparam("now"),
        bindparam("now"),
        case((_ROOM, bindparam("now")), else_=null()),
        null(),
    ).select_from(_a.join(_r, person)).where(conditions)


def _upsert(insert, chosen):  # type: ignore[no-untyped-def]
    """Insert the chosen row; a cancelled sign-up comes back at the end of the line."""
    stmt = insert(_s).from_select(_SIGNUP_COLUMNS, chosen)
    return stmt.on_conflict_do_update(
        index_elements=[_s.c.activity_id, _s.c.resident_id],
        set_={name: stmt.excluded[name] for name in ("status", "seq", "created_at", "updated_at", "confirmed_at", "cancelled_at")},
        where=~_active(_s.c.status),
    )


BY = {int: _r.c.id == bindparam("who"), str: _r.c.openid == bindparam("who")}


# ── SQLite: three statements in the transaction that holds the write lock ─────
# By (who, the look's outcome: None when nobody looked, else whether to ask about a family).
_SQLITE_SIGNUP = {
    (who, looked, alone): Precompiled(
        _upsert(sqlite_insert, _chosen(person, _OPEN if looked else UNLOOKED[alone])).returning(_s.c.id, _s.c.resident_id, _s.c.status)
    )
    for who, person in BY.items()
    for looked in (False, True)
    for alone in (False, True)
}
_SQLITE_COUNT = (
    update(_a)
    .where(_a.c.id == bindparam("activity_id"))
    .values(
        taken=_a.c.taken + bindparam("d_taken"),
        waiting=_a.c.waiting + bindparam("d_waiting"),
        signup_seq=_a.c.signup_seq + 1,
        updated_at=_a.c.updated_at,
    )
    .returning(_a.c.title, _a.c.start_at, _a.c.place, _a.c.waiting)
)
_SQLITE_REMINDERS = Precompiled(
    sqlite_insert(_n)
    .values({name: bindparam(name, type_=_n.c[name].type) for name in _REMINDER_COLUMNS})
    .on_conflict_do_nothing(index_elements=["key"])
)


def reminder_rows(reminded: Reminded, activity_id: int, places: list[tuple[int, int]], start_at: datetime, now: datetime) -> list[dict]:
    """Notice rows for these places (signup id, resident id): one per reminder still ahead."""
    return [
        {
            "key": f"reminder:{signup_id}{suffix}",
            "resident_id": resident_id,
            "kind": "reminder",
            "activity_id": activity_id,
            "text": reminded.text,
            "fields": reminded.fields,
            "due_at": due_at,
            "expires_at": start_at,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for signup_id, resident_id in places
        for suffix, due_at in reminded.owed
    ]


def _take_sqlite(
    session: Session, who: int | str, activity_id: int, now: datetime, plan: Callable, looked: bool, alone: bool
) -> Taken | None:
    statement = _SQLITE_SIGNUP[(type(who), looked, alone)].on(session)
    placed = session.execute(statement, {"who": who, "activity_id": activity_id, "now": now}).one_or_none()
    if placed is None:
        return None
    confirmed = placed.status == "confirmed"
    params = {"activity_id": activity_id, "d_taken": int(confirmed), "d_waiting": int(not confirmed)}
    activity = session.execute(_SQLITE_COUNT, params).one()
    if confirmed:
        rows = reminder_rows(plan(activity), activity_id, [(placed.id, placed.resident_id)], activity.start_at, now)
        if rows:
            session.execute(_SQLITE_REMINDERS.on(session), rows)
    position = 0 if confirmed else activity.waiting
    return Taken(placed.id, placed.status, position, activity_id, activity.title, activity.start_at, activity.place)


# ── PostgreSQL: one statement, the activity locked for it alone ───────────────
def _pg_take():  # type: ignore[no-untyped-def]
    seen = and_(_a.c.start_at == bindparam("seen_start"), _a.c.place == bindparam("seen_place"), _a.c.title == bindparam("seen_title"))
    chosen = _chosen(BY[int]).where(seen).with_for_update(of=_a)
    placed = _upsert(pg_insert, chosen).returning(_s.c.id, _s.c.resident_id, _s.c.status).cte("placed")
    confirmed = select(func.count()).select_from(placed).where(placed.c.status == "confirmed").scalar_subquery()
    everyone = select(func.count()).select_from(placed).scalar_subquery()
    # Relative to the row: by the time this runs the lock is ours, and PostgreSQL updates the newest row.
    counted = (
        update(_a)
        .where(_a.c.id == bindparam("activity_id"), exists(select(placed.c.id)))
        .values(
            taken=_a.c.taken + confirmed,
            waiting=_a.c.waiting + everyone - confirmed,
            signup_seq=_a.c.signup_seq + everyone,
            updated_at=_a.c.updated_at,
        )
        .returning(_a.c.waiting)
        .cte("counted")
    )
    owed = func.unnest(
        cast(bindparam("suffixes"), ARRAY(String)), cast(bindparam("dues"), ARRAY(DateTime))
    ).table_valued("suffix", "due_at").render_derived(name="owed")
    reminded = (
        pg_insert(_n)
        .from_select(
            list(_REMINDER_COLUMNS),
            select(
                literal("reminder:") + cast(placed.c.id, String) + owed.c.suffix,
                placed.c.resident_id,
                literal("reminder"),
                bindparam("activity_id"),
                bindparam("reminder_text", type_=String),
                bindparam("reminder_fields", type_=JSON),
                owed.c.due_at,
                bindparam("seen_start"),
                literal("pending"),
                literal(0, Integer),
                bindparam("now"),
            )
            .select_from(placed.join(owed, true()))
            .where(placed.c.status == "confirmed"),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .cte("reminded")
    )
    return select(placed.c.id, placed.c.status, counted.c.waiting).select_from(placed.join(counted, true())).add_cte(reminded)


_PG_TAKE = Precompiled(_pg_take())


def _take_pg(session: Session, seen, now: datetime, plan: Callable) -> Taken | None:  # type: ignore[no-untyped-def]
    reminded = plan(seen)
    params = {
        "who": seen.resident_id,
        "activity_id": seen.activity_id,
        "now": now,
        "seen_start": seen.start_at,
        "seen_place": seen.place,
        "seen_title": seen.title,
        "suffixes": [suffix for suffix, _ in reminded.owed],
        "dues": [due for _, due in reminded.owed],
        "reminder_text": reminded.text,
        "reminder_fields": reminded.fields,
    }
    row = session.execute(_PG_TAKE.on(session), params).one_or_none()
    if row is None:
        return None
    position = 0 if row.status == "confirmed" else row.waiting
    return Taken(row.id, row.status, position, seen.activity_id, seen.title, seen.start_at, seen.place)


def looks_first(session: Session) -> bool:
    """Whether `take` needs the caller's look at the activity first: on PostgreSQL the look
    also locks the person, and the reminders' text is rendered from it."""
    return session.get_bind().dialect.name == "postgresql"


def take(session: Session, who: int | str, activity_id: int, now: datetime, plan: Callable, seen=None, alone: bool = False) -> Taken | None:  # type: ignore[no-untyped-def]
    """Take a place, or a place in line, for one person; None when a check failed (nothing written).

    `who` is the resident's id or openid. `plan(activity)` says what the place's
    reminders say and when (`bot.domain.reminders.plan`); `seen` is the caller's look at
    the activity (`signups.look`), needed first where `looks_first`. `alone`: take nothing
    for someone who manages family members (they are asked for whom, from a look).
    """
    if looks_first(session):
        return _take_pg(session, seen, now, plan)
    return _take_sqlite(session, who, activity_id, now, plan, looked=seen is not None, alone=alone)
