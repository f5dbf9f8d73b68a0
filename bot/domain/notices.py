"""Notices as rows: every message owed to a person is written here before any job exists.

The database is the record of what must be sent; Redis only carries the work. A row
is created once per key (a retry of whatever created it creates nothing new). Once
the transaction that created a due notice commits, a `send_notice` job is enqueued
(by dotted name, through `bot.runtime.queue`); if that enqueue is lost — Redis down, flushed
or restarted — the periodic sweep finds the row and enqueues it again.

A row's life: `pending` → `claimed` (one worker, atomically) → `sent`, or
`undeliverable` / `dropped` / `failed` with a reason. A transient WeChat error puts
it back to `pending` with a later `due_at`. A claim whose worker died is taken over
once it is older than NOTICE_CLAIM_TIMEOUT.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, and_, bindparam, event, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.storage.db import insert_for
from bot.storage.models import Notice, Resident, utc_now
from config import texts

log = logging.getLogger(__name__)

STATUSES = ("pending", "claimed", "sent", "undeliverable", "dropped", "failed")
# After this many claims a notice stops being retried and is recorded as failed.
MAX_ATTEMPTS = 8
# Back-off before the n-th retry of a notice WeChat could not take (busy, rate-limited).
BACKOFF_SECONDS = (10, 30, 60, 300, 900, 1800, 3600)

_TO_ENQUEUE = "notices_to_enqueue"
_LISTENING = "notices_listening"


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
    """Record a notice owed to a person; returns the existing row if the key was used.

    A notice due now is enqueued for sending once the caller's transaction commits.
    """
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
    if notice.due_at <= utc_now():
        enqueue_after_commit(session, [notice.id])
    return notice


def insert_many(session: Session, rows: list[dict]) -> None:
    """Insert notice rows in one statement; a key already there is left as it is."""
    if not rows:
        return
    session.execute(insert_for(session)(Notice).values(rows).on_conflict_do_nothing(index_elements=["key"]))


# ── handing work to the queue ─────────────────────────────────────────────────
def enqueue_after_commit(session: Session, notice_ids: Iterable[int]) -> None:
    """Enqueue these notices for sending once `session` commits (nothing if it rolls back).

    Enqueueing before the commit could let a worker look for a row it cannot see yet.
    A failed enqueue is only logged: the sweep picks the rows up.
    """
    if not session.info.get(_LISTENING):
        # Listeners stay for the session's life (they cannot be removed while firing).
        event.listen(session, "after_commit", _enqueue_committed)
        event.listen(session, "after_rollback", _forget_uncommitted)
        session.info[_LISTENING] = True
    session.info.setdefault(_TO_ENQUEUE, []).extend(notice_ids)


def _enqueue_committed(session: Session) -> None:
    ids = session.info.pop(_TO_ENQUEUE, [])
    if not ids:
        return
    enqueue = session.info.get("enqueue_notices")
    if enqueue is None:  # a database opened without a queue (a script): the sweep sends them
        log.info("%d notices committed with no queue at hand; the sweep will enqueue them", len(ids))
        return
    try:
        enqueue(ids)
    except Exception:  # Redis trouble must not fail the request; the sweep catches up
        log.warning("could not enqueue %d notices now; the sweep will", len(ids), exc_info=True)


def _forget_uncommitted(session: Session) -> None:
    session.info.pop(_TO_ENQUEUE, None)


# ── the delivery pipeline's steps ─────────────────────────────────────────────
@dataclass(frozen=True)
class Claim:
    """A notice taken for sending: what the sender needs, and the claim's own time (its fence)."""

    id: int
    key: str
    kind: str
    text: str
    fields: dict
    resident_id: int
    activity_id: int | None
    expires_at: datetime | None
    claimed_at: datetime
    attempts: int


# The hot path of every send, built once: a worker runs these thousands of times a minute,
# and building and cache-keying ORM statements each time cost more than the round trips.
_n = Notice.__table__
_CLAIM = (
    update(_n)
    .where(
        _n.c.id == bindparam("notice_id"),
        or_(_n.c.status == "pending", and_(_n.c.status == "claimed", _n.c.claimed_at < bindparam("stale_before", type_=DateTime()))),
    )
    .values(status="claimed", claimed_at=bindparam("claim_time", type_=DateTime()), attempts=_n.c.attempts + 1)
    .returning(
        _n.c.id,
        _n.c.key,
        _n.c.kind,
        _n.c.text,
        _n.c.fields,
        _n.c.resident_id,
        _n.c.activity_id,
        _n.c.expires_at,
        _n.c.claimed_at,
        _n.c.attempts,
    )
)
_FINISH = (
    update(_n)
    .where(_n.c.id == bindparam("notice_id"), _n.c.status == "claimed", _n.c.claimed_at == bindparam("fence", type_=DateTime()))
    .values(
        status=bindparam("new_status"),
        reason=bindparam("new_reason"),
        channel=func.coalesce(bindparam("new_channel", type_=String()), _n.c.channel),
        sent_at=func.coalesce(bindparam("new_sent_at", type_=DateTime()), _n.c.sent_at),
    )
)


def claim(session: Session | Connection, notice_id: int, now: datetime, stale_before: datetime) -> Claim | None:
    """Take a notice for sending: pending → claimed, in one atomic UPDATE … RETURNING.

    Also takes over a claim older than `stale_before` (its worker died mid-send).
    Returns the claim, or None when someone else has it or it is finished.
    """
    row = session.execute(_CLAIM, {"notice_id": notice_id, "stale_before": stale_before, "claim_time": now}).one_or_none()
    return Claim(*row) if row is not None else None


def finish(
    session: Session | Connection,
    notice_id: int,
    claimed_at: datetime,
    status: str,
    *,
    channel: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the outcome of a claimed notice; False if the claim was taken over meanwhile."""
    params = {
        "notice_id": notice_id,
        "fence": claimed_at,
        "new_status": status,
        "new_reason": reason,
        "new_channel": channel,
        "new_sent_at": (now or utc_now()) if status == "sent" else None,
    }
    return session.execute(_FINISH, params).rowcount == 1


def release(
    session: Session | Connection, notice_id: int, claimed_at: datetime, attempts: int, reason: str, now: datetime | None = None
) -> str:
    """Give a claimed notice back after a transient error, to be tried again after a back-off.

    `attempts` counts the claims so far. Returns the new status: `pending`, or `failed`
    once MAX_ATTEMPTS claims were spent.
    """
    now = now or utc_now()
    if attempts >= MAX_ATTEMPTS:
        finish(session, notice_id, claimed_at, "failed", reason=f"gave up after {attempts} attempts: {reason}")
        return "failed"
    delay = BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]
    session.execute(
        update(_n)
        .where(_n.c.id == notice_id, _n.c.status == "claimed", _n.c.claimed_at == claimed_at)
        .values(status="pending", reason=reason, due_at=now + timedelta(seconds=delay))
    )
    return "pending"


def drop_pending(session: Session, activity_id: int, kind: str, reason: str) -> int:
    """Drop the activity's notices of one kind not yet sent (e.g. reminders of a cancelled activity)."""
    result = session.execute(
        update(Notice)
        .where(Notice.activity_id == activity_id, Notice.kind == kind, Notice.status == "pending")
        .values(status="dropped", reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def due_ids(session: Session, now: datetime, limit: int = 20000, activity_id: int | None = None) -> list[int]:
    """Pending notices whose time has come (of one activity, if given), oldest first."""
    query = select(Notice.id).where(Notice.status == "pending", Notice.due_at <= now)
    if activity_id is not None:
        query = query.where(Notice.activity_id == activity_id)
    return list(session.execute(query.order_by(Notice.due_at, Notice.id).limit(limit)).scalars())


def stale_claim_ids(session: Session, stale_before: datetime, limit: int = 20000) -> list[int]:
    """Notices claimed by a worker that has not finished them in time (it probably died)."""
    return list(
        session.execute(
            select(Notice.id).where(Notice.status == "claimed", Notice.claimed_at < stale_before).order_by(Notice.id).limit(limit)
        ).scalars()
    )


# ── reading ──────────────────────────────────────────────────────────────────
def about_member(name: str | None, text: str, fields: dict) -> tuple[str, dict]:
    """A notice about a family member as their proxy receives it: the member named in the
    text and in the template's title."""
    name = name or ""
    fields = dict(fields)
    if fields.get("title"):
        fields["title"] = texts.NOTICE_ABOUT_MEMBER_TITLE.format(name=name, title=fields["title"])
    return texts.NOTICE_ABOUT_MEMBER.format(name=name, text=text), fields


@dataclass(frozen=True)
class Delivered:
    id: int
    text: str


def outbox(session: Session, openid: str, after: int = 0, limit: int = 50) -> list[Delivered]:
    """What the sandbox sender delivered to this person after notice id `after`, in order:
    their own notices and those about their family members, as they were sent."""
    about = aliased(Resident)
    to = aliased(Resident)
    rows = session.execute(
        select(Notice.id, Notice.text, about.proxy_id, about.name)
        .join(about, about.id == Notice.resident_id)
        .join(to, to.id == func.coalesce(about.proxy_id, about.id))
        .where(to.openid == openid, Notice.status == "sent", Notice.channel == "sandbox", Notice.id > after)
        .order_by(Notice.id)
        .limit(limit)
    )
    return [Delivered(i, about_member(name, text, {})[0] if proxy_id else text) for i, text, proxy_id, name in rows]


def counts(session: Session, now: datetime, stale_before: datetime) -> dict[str, int]:
    """Notices by status, with pending split into due and later, and stale claims counted."""
    result = {status: 0 for status in STATUSES}
    for status, count in session.execute(select(Notice.status, func.count()).group_by(Notice.status)):
        result[status] = count
    result["pending_due"] = session.execute(
        select(func.count()).select_from(Notice).where(Notice.status == "pending", Notice.due_at <= now)
    ).scalar_one()
    result["claimed_stale"] = session.execute(
        select(func.count()).select_from(Notice).where(Notice.status == "claimed", Notice.claimed_at < stale_before)
    ).scalar_one()
    return result


NOT_SENT = ("undeliverable", "failed", "dropped")


def reasons(session: Session, statuses: tuple[str, ...] = NOT_SENT, limit: int = 10) -> list[tuple[str, str, int]]:
    """The most common (status, reason) pairs among notices that did not go out."""
    rows = session.execute(
        select(Notice.status, Notice.reason, func.count().label("n"))
        .where(Notice.status.in_(statuses))
        .group_by(Notice.status, Notice.reason)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(status, reason or "", n) for status, reason, n in rows]
