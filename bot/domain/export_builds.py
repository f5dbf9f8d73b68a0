"""The hours 台账 as XLSX, built in the background: a year of a large ledger takes minutes
to write, longer than a browser or a reverse proxy waits for a first byte.

A build is a Redis hash (`export:<id>`: who asked, the year, the scope, its state and
how many rows are written so far) and, once done, the file itself (`export:<id>:file`),
both expiring after BUILD_TTL: the web app and the workers need not share a disk. While a
build runs, `export:live:<person>:<year>:<scope>` points to it, so asking again for the
same export joins it instead of building it twice.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from redis import Redis

from bot.domain import exports
from bot.runtime import queue
from bot.storage.db import Database
from bot.storage.keys import key
from config import texts

BUILD_TTL = 3600
# RQ stops a job after 180 s by default; all the years of an office-sized ledger take several
# minutes (a single year about 90 s on the bench's 1,000,000 entries).
BUILD_TIMEOUT = 3600
# How often (rows) the progress shown to the person is brought up to date.
PROGRESS_EVERY = 2000
CHUNK = 1 << 20
BUILD_JOB = "jobs.exports.build_hours_xlsx"
BUILDING, DONE, FAILED = "building", "done", "failed"


@dataclass(frozen=True)
class Build:
    id: str
    owner_id: int
    year: int | None
    community_id: int | None
    status: str
    rows: int
    size: int

    def belongs_to(self, owner_id: int, community_id: int | None) -> bool:
        """Only the person who asked, with the scope they had then, may see it."""
        return self.owner_id == owner_id and self.community_id == community_id


def _state_key(build_id: str) -> str:
    return key("export", build_id)


def _file_key(build_id: str) -> str:
    return key("export", build_id, "file")


def _live_key(owner_id: int, year: int | None, community_id: int | None) -> str:
    return key("export", "live", owner_id, year or "all", community_id or "all")


def _job_id(build_id: str) -> str:
    return f"export-{build_id}"


def _optional(raw: bytes | None) -> int | None:
    return int(raw) if raw else None


def load(redis: Redis, build_id: str) -> Build | None:
    """The build with this id, or None when there is none (never was, or expired)."""
    if not build_id.isalnum():
        return None
    state = redis.hgetall(_state_key(build_id))
    if not state:
        return None
    status = state[b"status"].decode()
    if status == BUILDING and queue.failed(redis, _job_id(build_id)):
        status = FAILED  # its worker died (or the job was stopped): say so rather than wait forever
    return Build(
        id=build_id,
        owner_id=int(state[b"owner"]),
        year=_optional(state.get(b"year")),
        community_id=_optional(state.get(b"scope")),
        status=status,
        rows=int(state.get(b"rows", 0)),
        size=int(state.get(b"size", 0)),
    )


def start(redis: Redis, owner_id: int, year: int | None, community_id: int | None) -> str:
    """Start building this person's export of `year` (None: every year) for `community_id`
    (None: every community), or join the same build already running; returns its id."""
    live = _live_key(owner_id, year, community_id)
    build_id = secrets.token_hex(12)
    # The state first: whoever finds the live key below finds the build it points to.
    state = {"owner": owner_id, "year": year or "", "scope": community_id or "", "status": BUILDING, "rows": 0}
    with redis.pipeline() as pipe:
        pipe.hset(_state_key(build_id), mapping=state)
        pipe.expire(_state_key(build_id), BUILD_TTL)
        pipe.execute()
    # NX: of two clicks at once, one starts the build and the other finds it.
    while not redis.set(live, build_id, nx=True, ex=BUILD_TTL):
        running = redis.get(live)
        found = load(redis, running.decode()) if running else None
        if found is not None and found.status == BUILDING:
            redis.delete(_state_key(build_id))
            return found.id
        # Finished, failed or expired: a new request means fresh numbers. Compare and
        # delete, so a build another click has just started is not pushed aside.
        if running is not None and redis.get(live) == running:
            redis.delete(live)
    queue.enqueue(redis, BUILD_JOB, build_id, job_id=_job_id(build_id), timeout=BUILD_TIMEOUT)
    return build_id


def _counted(redis: Redis, build_id: str, rows: Iterator[tuple]) -> Iterator[tuple]:
    count = 0
    for row in rows:
        yield row
        count += 1
        if count % PROGRESS_EVERY == 0:
            redis.hset(_state_key(build_id), "rows", count)


def _finish(redis: Redis, build: Build, status: str, **fields: object) -> None:
    with redis.pipeline() as pipe:
        pipe.hset(_state_key(build.id), mapping={"status": status, **fields})
        pipe.expire(_state_key(build.id), BUILD_TTL)
        pipe.execute()
    live = _live_key(build.owner_id, build.year, build.community_id)
    if redis.get(live) == build.id.encode():
        redis.delete(live)


def build(redis: Redis, db: Database, build_id: str, org_name: str) -> int:
    """Write the workbook of build `build_id` into Redis; returns its rows (0 when there is
    nothing to do: finished already, or expired). A failure is recorded, then raised."""
    found = load(redis, build_id)
    if found is None or found.status == DONE:
        return 0
    export = exports.HoursExport(db, found.year, org_name, community_id=found.community_id)
    try:
        with tempfile.TemporaryFile() as spool:
            count = exports.write_xlsx(
                spool,
                texts.EXPORT_HOURS_HEADER,
                _counted(redis, build_id, exports.xlsx_hours_rows(export.rows())),
                exports.HOURS_WIDTHS,
                "hours",
            )
            size = spool.tell()
            spool.seek(0)
            # In pieces, under a name of its own renamed when whole: a download never
            # sees half a file, even if a second run of the job overlaps the first.
            part = key("export", build_id, "part", secrets.token_hex(4))
            while chunk := spool.read(CHUNK):
                redis.append(part, chunk)
                redis.expire(part, BUILD_TTL)
            if size:
                redis.rename(part, _file_key(build_id))
                redis.expire(_file_key(build_id), BUILD_TTL)
    except Exception:
        _finish(redis, found, FAILED)
        raise
    _finish(redis, found, DONE, rows=count, size=size)
    return count


def file_chunks(redis: Redis, build: Build) -> Iterator[bytes]:
    """The finished file, read from Redis a piece at a time (memory stays flat)."""
    name = _file_key(build.id)
    for start in range(0, build.size, CHUNK):
        yield redis.getrange(name, start, min(start + CHUNK, build.size) - 1)
