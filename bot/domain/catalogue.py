"""The catalogue residents browse (`活动`, `活动 N`, free text read against it), from memory while nothing changed.

Every change of an activity or of its places owes the catalogue a new version:
`changed(session)`, paid once the change commits (in the webhook's after-pipeline, in
the same round trip as the reply; elsewhere — jobs, the CLI, the console — right after
the commit). Each process keeps one `Snapshot` per app, read under one version; every
message brings the current version in its first Redis round trip, and a snapshot of
another version is never served: it is read again, in one SELECT. What the handlers
render from a snapshot is kept with it (`Snapshot.memo`), so while nothing changes a
list or a detail costs neither SQL nor rendering.

A snapshot is also read again after MAX_AGE whatever the version says: a process killed
between a commit and its after-pipeline leaves the version unbumped, and this bounds
how long that could mislead anyone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from bot.domain import committed
from bot.storage import versions
from bot.storage.models import Activity, Community

VERSION = "catalogue"
# Activities that ended longer ago than this are left out of the snapshot (free text may
# still name yesterday's lecture); an older one's detail is read once per version.
RECENT = timedelta(days=3)
MAX_AGE = 60.0
PAGE_SIZE = 10


def changed(session: Session) -> None:
    """The catalogue changed in this transaction: every process reads it again once it commits."""
    committed.owe(session, "bump_version", VERSION)


def changed_now(redis) -> None:  # type: ignore[no-untyped-def]
    """The catalogue changed and that is committed: for a caller holding no session."""
    versions.bump(redis, VERSION)


def version_key() -> str:
    """Where the current version is kept (read by the webhook's first round trip)."""
    return versions.version_key(VERSION)


# What residents see of an activity. Places taken come from the activity's counter.
_a = Activity.__table__
BOARD = select(
    _a.c.id,
    _a.c.kind,
    _a.c.title,
    _a.c.content,
    _a.c.place,
    _a.c.start_at,
    _a.c.end_at,
    _a.c.deadline_at,
    _a.c.capacity,
    _a.c.hours,
    _a.c.status,
    Community.name.label("community"),
    _a.c.taken,
).outerjoin(Community, Community.id == _a.c.community_id)
_RECENT = BOARD.where(_a.c.end_at > bindparam("since")).order_by(_a.c.start_at, _a.c.id)


_SHOWN = BOARD.where(_a.c.id == bindparam("id"))


def places_left(row: Row) -> int:
    """Free places of a catalogue row."""
    return max(0, row.capacity - row.taken)


def shown(conn: Connection | Session, activity_id: int) -> Row | None:
    """One activity as residents see it (any status), read from the database: one SELECT."""
    return conn.execute(_SHOWN, {"id": activity_id}).one_or_none()


def read(conn: Connection | Session, now: datetime) -> list[Row]:
    """Every activity not ended more than RECENT ago, any status, soonest first: one SELECT."""
    return conn.execute(_RECENT, {"since": now - RECENT}).all()


def open_for_signup(row: Row, now: datetime) -> bool:
    """Listed under `活动`: published and not started, or started with sign-ups still open."""
    return row.status == "published" and (row.start_at > now or row.deadline_at > now)


@dataclass(frozen=True)
class Page:
    """One page of the list: its rows, whether more follow, and a key naming exactly this content."""

    number: int
    rows: list[Row]
    more: bool
    key: Hashable


@dataclass
class Snapshot:
    """The catalogue as read under one version."""

    version: str
    rows: list[Row]
    read_at: float = field(default_factory=time.monotonic)
    _by_id: dict[int, Row] = field(default_factory=dict)
    _memo: dict = field(default_factory=dict)
    # The list as of some moment, and until when it stands.
    _listed: tuple[list[Row], datetime] | None = None

    def __post_init__(self) -> None:
        self._by_id = {row.id: row for row in self.rows}

    def get(self, activity_id: int) -> Row | None:
        """The activity, if it is in the snapshot (recent enough)."""
        return self._by_id.get(activity_id)

    def listed(self, now: datetime) -> list[Row]:
        """Activities open for sign-up now, soonest first."""
        if self._listed is None or now >= self._listed[1]:
            rows = [row for row in self.rows if open_for_signup(row, now)]
            # What is listed, and how, changes only when a listed activity starts or its sign-ups close.
            until = min((t for row in rows for t in (row.start_at, row.deadline_at) if t > now), default=datetime.max)
            self._listed = (rows, until)
        return self._listed[0]

    def page(self, number: int, now: datetime) -> Page:
        rows = self.listed(now)
        first = number * PAGE_SIZE
        return Page(number, rows[first : first + PAGE_SIZE], len(rows) > first + PAGE_SIZE, ("page", number, self._listed[1]))

    def among(self, ids: tuple[int, ...], now: datetime) -> Page:
        """The first page of the list narrowed to these activities (what free text asked about)."""
        wanted = set(ids)
        rows = [row for row in self.listed(now) if row.id in wanted]
        return Page(0, rows[:PAGE_SIZE], len(rows) > PAGE_SIZE, ("among", tuple(sorted(wanted)), self._listed[1]))

    def memo(self, key: Hashable, compute: Callable[[], object]) -> object:
        """`compute()` once for this snapshot (a rendered reply, a lookup outside it)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value


class Catalogue:
    """One app's snapshot of the catalogue, read again when the version moves on or it grew old."""

    def __init__(self, max_age: float = MAX_AGE):
        self.max_age = max_age
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self, version: str, read_rows: Callable[[], list[Row]]) -> Snapshot:
        """The snapshot for `version`, reading it (`read_rows()`, one SELECT) when it is not the one held."""
        current = self._snapshot
        if current is not None and current.version == version and time.monotonic() - current.read_at < self.max_age:
            return current
        with self._lock:  # threads of one process read it once
            current = self._snapshot
            if current is None or current.version != version or time.monotonic() - current.read_at >= self.max_age:
                current = self._snapshot = Snapshot(version, read_rows())
            return current

